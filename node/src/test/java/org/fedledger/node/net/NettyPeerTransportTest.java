package org.fedledger.node.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fedledger.node.net.PeerNet.await;
import static org.fedledger.node.net.PeerNet.payload;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoopGroup;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real Netty on loopback, over NIO and over native epoll: delivery, order, reconnect,
 * back-pressure and frame limits.
 */
class NettyPeerTransportTest {
  private static final int FRAMES = 2_000;

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void fourValidatorsExchangeAllToAllIntactAndInOrder(PeerIo io) {
    try (PeerNet net = new PeerNet(4, io)) {
      for (int v = 0; v < 4; v++) {
        net.start(v);
      }
      net.awaitFullyConnected(0, 1, 2, 3);
      // Every validator sends to every other, interleaved, from its own thread.
      Thread[] senders = new Thread[4];
      for (int v = 0; v < 4; v++) {
        int from = v;
        senders[v] = new Thread(() -> {
          for (int seq = 0; seq < FRAMES; seq++) {
            for (int to = 0; to < 4; to++) {
              if (to != from) {
                // Under back-pressure a real sender drops (consensus retransmits); this one retries.
                sendUntilQueued(net, from, to, payload(from, to, seq));
              }
            }
          }
        });
        senders[v].start();
      }
      for (Thread t : senders) {
        join(t);
      }
      for (int to = 0; to < 4; to++) {
        for (int from = 0; from < 4; from++) {
          if (from == to) {
            continue;
          }
          int f = from;
          int t = to;
          await(FRAMES + " frames " + from + "->" + to, () -> net.recorders[t].count(f) >= FRAMES);
          List<ByteString> got = net.recorders[to].from(from);
          assertThat(got).hasSize(FRAMES);
          for (int seq = 0; seq < FRAMES; seq++) {
            assertThat(got.get(seq)).as("frame %d %d->%d", seq, from, to).isEqualTo(payload(from, to, seq));
          }
        }
      }
      for (int v = 0; v < 4; v++) {
        for (PeerStatus s : net.transports[v].peerStatus()) {
          assertThat(s.connected()).isTrue();
          assertThat(s.framesSent()).isEqualTo(FRAMES);
          assertThat(s.framesReceived()).isEqualTo(FRAMES);
          // Only back-pressure (retried above) may have refused a frame.
          assertThat(s.framesDroppedTotal()).isEqualTo(s.framesDropped().get(DropReason.BACKPRESSURE));
        }
        assertThat(net.transports[v].closedConnections().values()).allMatch(n -> n == 0);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void broadcastReachesEveryOtherValidator(PeerIo io) {
    try (PeerNet net = new PeerNet(4, io)) {
      for (int v = 0; v < 4; v++) {
        net.start(v);
      }
      net.awaitFullyConnected(0, 1, 2, 3);
      assertThat(net.transports[2].broadcast(payload(2, 9, 1))).isEqualTo(3);
      for (int v : new int[] {0, 1, 3}) {
        await("broadcast at " + v, () -> net.recorders[v].count(2) == 1);
        assertThat(net.recorders[v].from(2)).containsExactly(payload(2, 9, 1));
      }
      assertThatThrownBy(() -> net.transports[2].send(2, payload(2, 2, 0)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("validator 2");
      assertThatThrownBy(() -> net.transports[2].send(4, payload(2, 4, 0)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("validator 4");
    }
  }

  /** Same bytes on the wire: validators on NIO and on epoll connect and talk in both directions. */
  @Test
  void nioAndEpollValidatorsInteroperate() {
    try (PeerNet net = new PeerNet(4, PeerIo.NIO)) {
      EventLoopGroup epoll = PeerNet.newGroup(PeerIo.EPOLL, 1);
      try {
        net.start(0);
        net.start(1, PeerNet.testConfig(), new PeerNet.Recorder(), epoll);
        net.start(2);
        net.start(3, PeerNet.testConfig(), new PeerNet.Recorder(), epoll);
        assertThat(net.transports[1].io()).isEqualTo(PeerIo.EPOLL);
        assertThat(net.transports[2].io()).isEqualTo(PeerIo.NIO);
        net.awaitFullyConnected(0, 1, 2, 3);
        for (int from = 0; from < 4; from++) {
          assertThat(net.transports[from].broadcast(payload(from, 9, from))).isEqualTo(3);
        }
        for (int to = 0; to < 4; to++) {
          for (int from = 0; from < 4; from++) {
            if (from != to) {
              int f = from;
              int t = to;
              await(f + " heard at " + t, () -> net.recorders[t].count(f) == 1);
              assertThat(net.recorders[t].from(f)).containsExactly(payload(f, 9, f));
            }
          }
        }
      } finally {
        for (NettyPeerTransport t : net.transports) {
          if (t != null) {
            t.close(); // before their group goes away
          }
        }
        epoll.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void restartedPeerReconnectsAndTrafficResumes(PeerIo io) {
    try (PeerNet net = new PeerNet(4, io)) {
      for (int v = 0; v < 4; v++) {
        net.start(v);
      }
      net.awaitFullyConnected(0, 1, 2, 3);
      // 2 is dialed by 0 and 1 and dials 3: killing it exercises both roles.
      net.stop(2);
      await("0 sees 2 gone", () -> !net.transports[0].peerStatus().get(1).connected());
      await("3 sees 2 gone", () -> !net.transports[3].peerStatus().get(2).connected());
      assertThat(net.transports[0].send(2, payload(0, 2, 0))).isFalse();
      assertThat(net.transports[0].peerStatus().get(1).framesDropped().get(DropReason.NOT_CONNECTED)).isEqualTo(1);

      net.start(2); // a fresh transport on a new port, as after a process restart
      net.awaitFullyConnected(0, 1, 2, 3);
      for (int from = 0; from < 4; from++) {
        if (from != 2) {
          assertThat(net.transports[from].send(2, payload(from, 2, 1))).isTrue();
          assertThat(net.transports[2].send(from, payload(2, from, 1))).isTrue();
        }
      }
      for (int other = 0; other < 4; other++) {
        if (other != 2) {
          int o = other;
          await("2 hears " + o, () -> net.recorders[2].count(o) == 1);
          await(o + " hears 2 again", () -> net.recorders[o].from(2).contains(payload(2, o, 1)));
          assertThat(net.recorders[2].from(o)).containsExactly(payload(o, 2, 1));
        }
      }
      assertThat(net.transports[0].peerStatus().get(1).connectAttempts()).isGreaterThan(1);
      await("events reported", () -> net.recorders[0].events.stream().filter("connected 2"::equals).count() == 2);
      assertThat(net.recorders[0].events).containsSubsequence("connected 2", "disconnected 2", "connected 2");
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void deadPeerDoesNotBlockTheOthers(PeerIo io) {
    try (PeerNet net = new PeerNet(4, io)) {
      for (int v = 0; v < 3; v++) {
        net.start(v); // validator 3 never comes up
      }
      net.awaitFullyConnected(0, 1, 2);
      for (int seq = 0; seq < FRAMES; seq++) {
        net.transports[0].broadcast(payload(0, 9, seq));
      }
      await("1 and 2 hear everything", () -> net.recorders[1].count(0) == FRAMES && net.recorders[2].count(0) == FRAMES);
      PeerStatus dead = net.transports[0].peerStatus().get(2);
      assertThat(dead.validator()).isEqualTo(3);
      assertThat(dead.connected()).isFalse();
      assertThat(dead.framesDropped().get(DropReason.NOT_CONNECTED)).isEqualTo(FRAMES);
      await("0 keeps redialing 3", () -> net.transports[0].peerStatus().get(2).connectAttempts() > 2);
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void slowPeerIsBoundedAndDoesNotBlockTheOthers(PeerIo io) throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    EventLoopGroup slowLoop = PeerNet.newGroup(io, 1);
    PeerTransportConfig small = PeerNet.testConfig().withWriteBuffer(64 << 10, 128 << 10);
    try (PeerNet net = new PeerNet(4, io)) {
      for (int v = 0; v < 3; v++) {
        net.start(v, small, new PeerNet.Recorder(), net.group);
      }
      // Validator 3 stops reading: its only I/O thread blocks in the listener.
      net.start(3, small, new PeerNet.Recorder() {
        @Override
        public void onMessage(int fromValidator, ByteString payload) {
          super.onMessage(fromValidator, payload);
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }, slowLoop);
      net.awaitFullyConnected(0, 1, 2, 3);

      ByteString big = ByteString.copyFrom(new byte[64 << 10]);
      for (int i = 0; i < 100_000 && backpressureDrops(net, 3) == 0; i++) {
        net.transports[0].send(3, big);
      }
      assertThat(backpressureDrops(net, 3)).as("frames to the stalled peer dropped, not buffered").isPositive();
      // Healthy peers may push back briefly under this small water mark; they drain, 3 never does.
      for (int seq = 0; seq < FRAMES; seq++) {
        sendUntilQueued(net, 0, 1, payload(0, 1, seq));
        sendUntilQueued(net, 0, 2, payload(0, 2, seq));
      }
      await("1 and 2 hear everything", () -> net.recorders[1].count(0) == FRAMES && net.recorders[2].count(0) == FRAMES);
      assertThat(net.recorders[1].from(0).get(FRAMES - 1)).isEqualTo(payload(0, 1, FRAMES - 1));
      release.countDown(); // before closing: a blocked loop would hold every close to its timeout
    } finally {
      release.countDown();
      slowLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
  }

  /** Pings keep a link without traffic open well past the idle timeout; the watch closes none. */
  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void quietLinkIsKeptOpenByPings(PeerIo io) throws InterruptedException {
    PeerTransportConfig d = PeerNet.testConfig();
    PeerTransportConfig pings = new PeerTransportConfig(d.frameBytesMax(), d.writeBufferLowBytes(),
        d.writeBufferHighBytes(), d.reconnectInitialMillis(), d.reconnectMaxMillis(), d.handshakeTimeoutMillis(),
        50, 1_000, d.shutdownTimeoutMillis());
    try (PeerNet net = new PeerNet(2, io)) {
      net.start(0, pings, new PeerNet.Recorder(), net.group);
      net.start(1, pings, new PeerNet.Recorder(), net.group);
      net.awaitFullyConnected(0, 1);
      Thread.sleep(2_500); // two and a half idle timeouts with nothing but pings
      for (int v = 0; v < 2; v++) {
        assertThat(net.transports[v].closedConnections().get(CloseReason.IDLE_TIMEOUT)).isZero();
        assertThat(net.transports[v].peerStatus().get(0).connected()).isTrue();
      }
      // Never reconnected: the link that came up first is still the one in use.
      assertThat(net.recorders[0].events).containsExactly("connected 1");
      assertThat(net.recorders[1].events).containsExactly("connected 0");
      assertThat(net.transports[0].send(1, payload(0, 1, 1))).isTrue();
      await("1 hears 0", () -> net.recorders[1].count(0) == 1);
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void oversizedFrameClosesTheConnectionAndIsCounted(PeerIo io) {
    try (PeerNet net = new PeerNet(2, io)) {
      net.start(0, PeerNet.testConfig().withFrameBytesMax(64 << 10), new PeerNet.Recorder(), net.group);
      net.start(1, PeerNet.testConfig().withFrameBytesMax(1 << 10), new PeerNet.Recorder(), net.group);
      net.awaitFullyConnected(0, 1);

      // Bigger than 0's own limit: dropped at the sender.
      assertThat(net.transports[0].send(1, ByteString.copyFrom(new byte[(64 << 10) + 1]))).isFalse();
      assertThat(net.transports[0].peerStatus().get(0).framesDropped().get(DropReason.OVERSIZED)).isEqualTo(1);

      // Within 0's limit but above 1's: 1 closes the connection and counts it.
      assertThat(net.transports[0].send(1, ByteString.copyFrom(new byte[4 << 10]))).isTrue();
      await("1 counts the oversized frame",
          () -> net.transports[1].closedConnections().get(CloseReason.OVERSIZED_FRAME) == 1);
      assertThat(net.recorders[1].count(0)).isZero();

      // 0 redials and small frames flow again.
      await("traffic resumes", () -> {
        net.transports[0].send(1, payload(0, 1, 7));
        return net.recorders[1].count(0) > 0;
      });
      assertThat(net.recorders[1].from(0)).allMatch(p -> p.equals(payload(0, 1, 7)));
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void closeIsIdempotentAndRefusesRestart(PeerIo io) {
    try (PeerNet net = new PeerNet(2, io)) {
      NettyPeerTransport t = net.start(0);
      t.close();
      t.close();
      assertThatThrownBy(() -> t.start(new PeerNet.Recorder())).isInstanceOf(IllegalStateException.class);
      assertThat(t.send(1, payload(0, 1, 0))).isFalse();
    }
  }

  @Test
  void builderRefusesAKeyThatIsNotTheGenesisKey() {
    assertThatThrownBy(() -> NettyPeerTransport.builder(PeerNet.chain("c", 4), 1, PeerNet.key(2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("validator 1");
    assertThatThrownBy(() -> NettyPeerTransport.builder(PeerNet.chain("c", 4), 4, PeerNet.key(4)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..3");
  }

  private static void sendUntilQueued(PeerNet net, int from, int to, ByteString payload) {
    if (!net.transports[from].send(to, payload)) {
      await(from + "->" + to + " writable", () -> net.transports[from].send(to, payload));
    }
  }

  private static long backpressureDrops(PeerNet net, int to) {
    return net.transports[0].peerStatus().get(to - 1).framesDropped().get(DropReason.BACKPRESSURE);
  }

  private static void join(Thread t) {
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
