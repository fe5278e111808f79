package org.fedledger.node.net;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.fedledger.proto.PeerAuth;
import org.fedledger.proto.PeerHello;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's protocol: the handshake, then payload frames both ways, and the idle
 * watch of an open connection (a ping when nothing was written for the ping interval, closed
 * when nothing arrived for the idle timeout). Inbound it gets whole frames (length prefix
 * stripped by the frame decoder); outbound it passes payload frames (encoded once per
 * broadcast by {@link #payloadFrame}) and encodes HELLO, AUTH and pings. Runs on the channel's
 * event loop only.
 *
 * <p>The idle watch is one periodic task per connection and two plain fields touched per read
 * batch and per write, instead of Netty's {@code IdleStateHandler}, which turns every write's
 * void promise into a real one to listen for its completion (a promise, a listener entry and a
 * notification per frame).
 */
final class PeerSession extends ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(PeerSession.class);

  /** The ping frame, written as a marker object and encoded here. */
  static final Object PING = new Object() {
    @Override
    public String toString() {
      return "PING";
    }
  };

  private enum State { AWAIT_HELLO, AWAIT_AUTH, OPEN, CLOSED }

  private final NettyPeerTransport transport;
  /** The validator this side dialed, or -1 for an accepted connection. */
  private final int dialed;
  private State state = State.AWAIT_HELLO;
  private ByteString challenge;
  private PeerHello hello;
  private Peer peer;
  private ScheduledFuture<?> handshakeTimeout;
  /** The idle watch of the open connection, every ping interval. */
  private ScheduledFuture<?> idleCheck;
  /** When the last read batch ended ({@link System#nanoTime()}). */
  private long lastReadNanos;
  /** Whether anything was written since the idle watch last looked. */
  private boolean wroteSinceCheck;

  PeerSession(NettyPeerTransport transport, int dialed) {
    this.transport = transport;
    this.dialed = dialed;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    challenge = transport.newChallenge();
    ctx.channel().writeAndFlush(PeerHello.newBuilder()
        .setProtocolVersion(Handshake.PROTOCOL_VERSION)
        .setGenesisHash(transport.chain().genesisHash().bytes())
        .setValidator(transport.self())
        .setPublicKey(transport.publicKey())
        .setChallenge(challenge)
        .build(), ctx.channel().voidPromise());
    handshakeTimeout = ctx.executor().schedule(
        () -> refuse(ctx, CloseReason.HANDSHAKE_TIMEOUT, "no handshake within "
            + transport.config().handshakeTimeoutMillis() + " ms"),
        transport.config().handshakeTimeoutMillis(), TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = State.CLOSED;
    if (handshakeTimeout != null) {
      handshakeTimeout.cancel(false);
    }
    if (idleCheck != null) {
      idleCheck.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    lastReadNanos = System.nanoTime();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf frame = (ByteBuf) msg;
    try {
      if (state == State.CLOSED) {
        return;
      }
      if (!frame.isReadable()) {
        refuse(ctx, CloseReason.MALFORMED_FRAME, "empty frame");
        return;
      }
      byte kind = frame.readByte();
      if (state == State.OPEN && kind == Handshake.KIND_PAYLOAD) {
        onPayload(frame);
      } else if (state == State.OPEN && kind == Handshake.KIND_PING && !frame.isReadable()) {
        return; // its arrival reset the idle timer
      } else if (state == State.AWAIT_HELLO && kind == Handshake.KIND_HELLO) {
        onHello(ctx, frame);
      } else if (state == State.AWAIT_AUTH && kind == Handshake.KIND_AUTH) {
        onAuth(ctx, frame);
      } else {
        refuse(ctx, CloseReason.MALFORMED_FRAME, "frame kind " + kind + " in state " + state);
      }
    } finally {
      frame.release();
    }
  }

  private void onPayload(ByteBuf frame) {
    int size = frame.readableBytes();
    // A fresh array nobody else holds, so wrapping it without a second copy is safe.
    ByteString payload = UnsafeByteOperations.unsafeWrap(ByteBufUtil.getBytes(frame));
    peer.framesReceived.increment();
    peer.bytesReceived.add(size);
    transport.deliver(peer.validator, payload);
  }

  /** A payload frame ({@code length | KIND_PAYLOAD | payload}) in a new direct buffer of {@code alloc}. */
  static ByteBuf payloadFrame(ByteBufAllocator alloc, ByteString payload) {
    ByteBuf out = alloc.ioBuffer(Handshake.HEADER_BYTES + payload.size());
    return out.writeInt(1 + payload.size()).writeByte(Handshake.KIND_PAYLOAD).writeBytes(payload.asReadOnlyByteBuffer());
  }

  private void onHello(ChannelHandlerContext ctx, ByteBuf frame) {
    Optional<PeerHello> parsed = parse(frame, PeerHello.parser());
    if (parsed.isEmpty()) {
      refuse(ctx, CloseReason.MALFORMED_FRAME, "undecodable HELLO");
      return;
    }
    PeerHello h = parsed.get();
    Optional<CloseReason> refusal = Handshake.check(transport.chain(), transport.self(), dialed, h);
    if (refusal.isPresent()) {
      refuse(ctx, refusal.get(), "HELLO claiming validator " + h.getValidator());
      return;
    }
    hello = h;
    state = State.AWAIT_AUTH;
    ByteString statement = Handshake.statement(
        transport.chain(), transport.self(), h.getValidator(), h.getChallenge(), challenge);
    ctx.channel().writeAndFlush(
        PeerAuth.newBuilder().setSignature(transport.sign(statement)).build(), ctx.channel().voidPromise());
  }

  private void onAuth(ChannelHandlerContext ctx, ByteBuf frame) {
    Optional<PeerAuth> parsed = parse(frame, PeerAuth.parser());
    if (parsed.isEmpty()) {
      refuse(ctx, CloseReason.MALFORMED_FRAME, "undecodable AUTH");
      return;
    }
    int from = hello.getValidator();
    if (!Handshake.verify(transport.chain(), from, transport.self(), challenge, hello.getChallenge(),
        parsed.get().getSignature())) {
      refuse(ctx, CloseReason.BAD_SIGNATURE, "AUTH of validator " + from);
      return;
    }
    handshakeTimeout.cancel(false);
    state = State.OPEN;
    ctx.pipeline().get(FrameDecoder.class).open(transport.config().frameBytesMax());
    peer = transport.peer(from);
    lastReadNanos = System.nanoTime();
    long pingMillis = transport.config().pingIntervalMillis();
    idleCheck = ctx.executor().scheduleAtFixedRate(() -> checkIdle(ctx), pingMillis, pingMillis, TimeUnit.MILLISECONDS);
    transport.onAuthenticated(peer, ctx.channel());
  }

  /**
   * Every ping interval while open: closes a connection on which nothing arrived for the idle
   * timeout; pings when nothing was written since the last look (so for at least one interval).
   */
  private void checkIdle(ChannelHandlerContext ctx) {
    if (state != State.OPEN) {
      return;
    }
    long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReadNanos);
    if (idleMillis >= transport.config().idleTimeoutMillis()) {
      refuse(ctx, CloseReason.IDLE_TIMEOUT, "nothing from validator " + peer.validator + " for " + idleMillis + " ms");
      return;
    }
    if (!wroteSinceCheck) {
      ctx.channel().writeAndFlush(PING, ctx.channel().voidPromise());
    }
    wroteSinceCheck = false;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf) { // a payload frame, encoded and counted by the transport
      wroteSinceCheck = true;
      ctx.write(msg, promise);
    } else if (msg == PING) {
      ctx.write(ctx.alloc().ioBuffer(Handshake.HEADER_BYTES).writeInt(1).writeByte(Handshake.KIND_PING), promise);
    } else if (msg instanceof PeerHello) {
      ctx.write(encode(ctx, Handshake.KIND_HELLO, (PeerHello) msg), promise);
    } else if (msg instanceof PeerAuth) {
      ctx.write(encode(ctx, Handshake.KIND_AUTH, (PeerAuth) msg), promise);
    } else {
      throw new AssertionError("unexpected outbound message " + msg.getClass().getName());
    }
  }

  private static ByteBuf encode(ChannelHandlerContext ctx, byte kind, MessageLite message) {
    byte[] body = message.toByteArray();
    return ctx.alloc().ioBuffer(Handshake.HEADER_BYTES + body.length)
        .writeInt(1 + body.length).writeByte(kind).writeBytes(body);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      refuse(ctx, CloseReason.OVERSIZED_FRAME, cause.getMessage());
    } else if (cause instanceof ClosedChannelException) {
      // A frame queued just before the connection closed (writes use the void promise).
      if (peer != null) {
        peer.drop(DropReason.CONNECTION_CLOSED);
      }
    } else if (cause instanceof IOException) {
      LOG.debug("peer connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    } else {
      LOG.warn("peer connection {} closed after an unexpected error", ctx.channel().remoteAddress(), cause);
      ctx.close();
    }
  }

  /** Closes the connection and counts why. */
  private void refuse(ChannelHandlerContext ctx, CloseReason reason, String detail) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    transport.countClose(reason);
    LOG.debug("closing peer connection {} ({}): {}", ctx.channel().remoteAddress(), reason, detail);
    ctx.close();
  }

  private static <T> Optional<T> parse(ByteBuf frame, Parser<T> parser) {
    try {
      return Optional.of(parser.parseFrom(frame.nioBuffer()));
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }
}
