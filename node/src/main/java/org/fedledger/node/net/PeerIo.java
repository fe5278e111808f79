package org.fedledger.node.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty transport the peer links (and the validator's event loop, which shares their thread)
 * run on: Linux's native epoll where its library loads, else the JDK's NIO. Both speak the same
 * bytes on the wire, so validators on either interoperate.
 *
 * <p>Why epoll: NIO reaches the kernel through the JDK's selector and socket-channel layers
 * (selection keys, locks, a wake-up pipe, ByteBuffer arrays per gathering write); the native
 * transport calls {@code epoll_wait}, {@code writev} and {@code eventfd} itself on the memory
 * addresses of Netty's buffers, with less work and less garbage per wake-up and per write. The
 * native library ships in {@code netty-transport-native-epoll} (classifier {@code linux-x86_64});
 * elsewhere, or with {@code -Dio.netty.transport.noNative=true}, {@link #best()} falls back to
 * NIO and logs why.
 */
public enum PeerIo {
  /** The JDK's selector-based transport: works everywhere. */
  NIO("NIO"),
  /** Linux's native epoll transport (netty-transport-native-epoll). */
  EPOLL("epoll");

  private static final Logger LOG = LoggerFactory.getLogger(PeerIo.class);

  private final String label;

  PeerIo(String label) {
    this.label = label;
  }

  /** Epoll when its native library is usable here, else NIO (logging at info why epoll is not). */
  public static PeerIo best() {
    boolean available;
    Throwable cause;
    try {
      available = Epoll.isAvailable();
      cause = available ? null : Epoll.unavailabilityCause();
    } catch (LinkageError e) { // netty-transport-classes-epoll left out of the class path
      available = false;
      cause = e;
    }
    return choose(available, cause);
  }

  /** {@link #best()}'s decision, given whether epoll is available and, if not, why. */
  static PeerIo choose(boolean epollAvailable, Throwable unavailabilityCause) {
    if (epollAvailable) {
      return EPOLL;
    }
    LOG.info("peer I/O on NIO: the native epoll transport is unavailable ({})", reason(unavailabilityCause));
    return NIO;
  }

  /** One line naming why epoll is unavailable: the cause and its root cause. */
  static String reason(Throwable cause) {
    if (cause == null) {
      return "no reason given";
    }
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == cause ? cause.toString() : cause + "; root cause: " + root;
  }

  /**
   * The transport of {@code group}.
   *
   * @throws IllegalArgumentException when {@code group} is neither an NIO nor an epoll group
   */
  public static PeerIo of(EventLoopGroup group) {
    Objects.requireNonNull(group, "group");
    if (group instanceof NioEventLoopGroup) {
      return NIO;
    }
    if (group instanceof EpollEventLoopGroup) { // loads the class only, never the native library
      return EPOLL;
    }
    throw new IllegalArgumentException("the peer transport runs on a NioEventLoopGroup or an EpollEventLoopGroup, got "
        + group.getClass().getName());
  }

  /**
   * A new event loop group of this transport with {@code threads} threads made by {@code threadFactory}.
   *
   * @throws UnsatisfiedLinkError for {@link #EPOLL} where its native library does not load
   */
  public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
    return this == EPOLL ? new EpollEventLoopGroup(threads, threadFactory) : new NioEventLoopGroup(threads, threadFactory);
  }

  /** A new event loop group of this transport with {@code threads} threads of Netty's default factory. */
  public EventLoopGroup newGroup(int threads) {
    return this == EPOLL ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
  }

  Class<? extends ServerChannel> serverChannel() {
    return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  Class<? extends SocketChannel> channel() {
    return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** "epoll" or "NIO", for logs. */
  @Override
  public String toString() {
    return label;
  }
}
