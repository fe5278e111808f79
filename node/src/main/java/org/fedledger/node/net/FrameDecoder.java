package org.fedledger.node.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Splits the inbound stream into frames: a 4-byte big-endian length, then that many bytes
 * (kind and body), passed on without the length. Like Netty's {@code LengthFieldBasedFrameDecoder}
 * but its limit rises once the handshake is done: before that a frame is at most
 * {@link #HANDSHAKE_FRAME_BYTES_MAX}, so an unauthenticated peer cannot make us buffer a
 * full-size frame. A frame over the limit fails at its length prefix, before its body arrives.
 */
final class FrameDecoder extends ByteToMessageDecoder {
  /** Limit of a frame (kind and body) before authentication; HELLO and AUTH are far smaller. */
  static final int HANDSHAKE_FRAME_BYTES_MAX = 1024;

  private long limitBytes = HANDSHAKE_FRAME_BYTES_MAX;
  private boolean failed;

  /** Raises the limit to one kind byte plus {@code payloadBytesMax}; called on the event loop. */
  void open(int payloadBytesMax) {
    limitBytes = 1L + payloadBytesMax;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < 4) {
      return;
    }
    long length = in.getUnsignedInt(in.readerIndex());
    if (length > limitBytes) {
      failed = true;
      in.skipBytes(in.readableBytes());
      throw new TooLongFrameException("frame of " + length + " bytes exceeds the limit of " + limitBytes);
    }
    if (in.readableBytes() < 4 + length) {
      return;
    }
    in.skipBytes(4);
    out.add(in.readRetainedSlice((int) length));
  }
}
