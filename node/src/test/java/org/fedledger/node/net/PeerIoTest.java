package org.fedledger.node.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Choosing the Netty transport: epoll where it loads, NIO otherwise, and only groups of those two. */
class PeerIoTest {

  @Test
  void epollLoadsOnLinuxX8664() {
    boolean linuxX8664 = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux")
        && System.getProperty("os.arch").matches("amd64|x86_64");
    if (linuxX8664) {
      // The node ships the linux-x86_64 native library: here epoll must be what a validator uses.
      assertThat(Epoll.isAvailable()).as("epoll unavailable: %s", PeerIo.reason(Epoll.unavailabilityCause()))
          .isTrue();
      assertThat(PeerIo.best()).isEqualTo(PeerIo.EPOLL);
    } else {
      assertThat(PeerIo.best()).isEqualTo(Epoll.isAvailable() ? PeerIo.EPOLL : PeerIo.NIO);
    }
  }

  @Test
  void fallsBackToNioWhenEpollIsUnavailable() {
    UnsatisfiedLinkError noLibrary = new UnsatisfiedLinkError("no netty_transport_native_epoll_x86_64 in java.library.path");
    assertThat(PeerIo.choose(false, new IllegalStateException("failed to load the required native library", noLibrary)))
        .isEqualTo(PeerIo.NIO);
    assertThat(PeerIo.choose(false, null)).isEqualTo(PeerIo.NIO);
    assertThat(PeerIo.choose(true, null)).isEqualTo(PeerIo.EPOLL);
  }

  @Test
  void reasonNamesTheCauseAndItsRoot() {
    IOException root = new IOException("permission denied");
    assertThat(PeerIo.reason(new IllegalStateException("cannot load", root)))
        .contains("cannot load").contains("root cause").contains("permission denied");
    assertThat(PeerIo.reason(new IllegalStateException("alone"))).isEqualTo("java.lang.IllegalStateException: alone");
    assertThat(PeerIo.reason(null)).isEqualTo("no reason given");
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void groupKnowsItsTransport(PeerIo io) {
    EventLoopGroup group = PeerNet.newGroup(io, 1);
    try {
      assertThat(PeerIo.of(group)).isEqualTo(io);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void otherGroupsAreRefused() {
    EventLoopGroup local = new DefaultEventLoopGroup(1);
    try {
      assertThatThrownBy(() -> PeerIo.of(local)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("DefaultEventLoopGroup");
      assertThatThrownBy(() -> NettyPeerTransport.builder(PeerNet.chain("c", 4), 0, PeerNet.key(0)).eventLoopGroup(local))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NioEventLoopGroup or an EpollEventLoopGroup");
    } finally {
      local.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void transportWithItsOwnGroupRunsOnTheTransportAsked(PeerIo io) {
    PeerNet.newGroup(io, 1).shutdownGracefully(0, 1, TimeUnit.SECONDS); // skips epoll where it cannot load
    java.util.List<NettyPeerTransport> started = new java.util.ArrayList<>();
    try {
      org.fedledger.ledger.chain.Chain chain = PeerNet.chain("own-group", 2);
      java.util.Map<Integer, java.net.InetSocketAddress> addresses = new java.util.concurrent.ConcurrentHashMap<>();
      PeerNet.Recorder[] heard = {new PeerNet.Recorder(), new PeerNet.Recorder()};
      for (int v = 0; v < 2; v++) {
        NettyPeerTransport t = NettyPeerTransport.builder(chain, v, PeerNet.key(v))
            .config(PeerNet.testConfig())
            .io(io)
            .listenAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
            .peerAddresses(addresses::get)
            .build();
        started.add(t);
        t.start(heard[v]);
        addresses.put(v, t.boundAddress());
        assertThat(t.io()).isEqualTo(io);
      }
      PeerNet.await("connected", () -> started.get(0).connectedPeerCount() == 1 && started.get(1).connectedPeerCount() == 1);
      assertThat(started.get(1).send(0, PeerNet.payload(1, 0, 3))).isTrue();
      PeerNet.await("0 hears 1", () -> heard[0].count(1) == 1);
      assertThat(heard[0].from(1)).containsExactly(PeerNet.payload(1, 0, 3));
    } finally {
      started.forEach(NettyPeerTransport::close);
    }
  }
}
