package org.fedledger.node.net;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.fedledger.proto.PeerHello;

/**
 * A hand-driven peer on a blocking socket, to play a legitimate validator, an impostor or a
 * replayer against a real transport. Records every byte it sends, so the bytes can be replayed.
 */
final class RawPeer implements AutoCloseable {
  record Frame(byte kind, ByteString body) {}

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  final ByteArrayOutputStream sent = new ByteArrayOutputStream();

  RawPeer(InetSocketAddress address) throws IOException {
    socket = new Socket(address.getAddress(), address.getPort());
    socket.setSoTimeout((int) PeerNet.WAIT_MILLIS);
    in = new DataInputStream(socket.getInputStream());
    out = new DataOutputStream(socket.getOutputStream());
  }

  Frame read() throws IOException {
    int length = in.readInt();
    byte kind = in.readByte();
    byte[] body = new byte[length - 1];
    in.readFully(body);
    return new Frame(kind, ByteString.copyFrom(body));
  }

  PeerHello readHello() throws IOException {
    Frame f = read();
    if (f.kind() != Handshake.KIND_HELLO) {
      throw new IOException("expected HELLO, got kind " + f.kind());
    }
    return PeerHello.parseFrom(f.body());
  }

  void write(byte kind, ByteString body) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(frame);
    d.writeInt(1 + body.size());
    d.writeByte(kind);
    body.writeTo(d);
    writeRaw(frame.toByteArray());
  }

  void writeRaw(byte[] bytes) throws IOException {
    sent.write(bytes);
    out.write(bytes);
    out.flush();
  }

  /** True when the other side closed the connection (end of stream or reset) before the wait bound. */
  boolean closedByPeer() throws IOException {
    try {
      while (true) {
        int length = in.readInt();
        in.skipNBytes(length);
      }
    } catch (java.io.EOFException | SocketException closed) {
      return true;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
