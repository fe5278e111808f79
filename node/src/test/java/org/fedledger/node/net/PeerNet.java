package org.fedledger.node.net;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisValidator;

/**
 * A test network of peer transports on loopback sharing one event loop group of one Netty
 * transport (NIO or epoll): validators on ephemeral ports, each one's address looked up at every
 * dial so a restart on a new port works.
 */
final class PeerNet implements AutoCloseable {
  /** Bound on every wait for a condition; a liveness bound, not a timing assertion. */
  static final long WAIT_MILLIS = 60_000;

  final Chain chain;
  final PeerIo io;
  final EventLoopGroup group;
  final Map<Integer, InetSocketAddress> addresses = new ConcurrentHashMap<>();
  final NettyPeerTransport[] transports;
  final Recorder[] recorders;

  PeerNet(int n, PeerIo io) {
    this.io = io;
    this.group = newGroup(io, 2);
    this.chain = chain("peer-net-test", n);
    this.transports = new NettyPeerTransport[n];
    this.recorders = new Recorder[n];
  }

  /**
   * A group of {@code io}; skips the test where epoll cannot load (not Linux x86-64: PeerIoTest
   * fails instead where it should load).
   */
  static EventLoopGroup newGroup(PeerIo io, int threads) {
    if (io == PeerIo.EPOLL) {
      assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable here: " + PeerIo.reason(Epoll.unavailabilityCause()));
    }
    return io.newGroup(threads);
  }

  /** Fast reconnects for tests; everything else default. */
  static PeerTransportConfig testConfig() {
    return PeerTransportConfig.defaults().withReconnect(10, 200);
  }

  static KeyPair key(int validator) {
    byte[] seed = new byte[32];
    Arrays.fill(seed, (byte) (validator + 1));
    return Ed25519.fromSeed(seed);
  }

  static Chain chain(String chainId, int n) {
    Genesis.Builder g = Genesis.newBuilder().setChainId(chainId).setGenesisTimeMillis(1_700_000_000_000L);
    for (int i = 0; i < n; i++) {
      g.addValidators(GenesisValidator.newBuilder()
          .setIndex(i)
          .setId("validator-" + i)
          .setPublicKey(key(i).publicKey())
          .setPeerAddress("127.0.0.1:0")
          .setRpcAddress("127.0.0.1:0"));
    }
    return Chain.of(g.build());
  }

  NettyPeerTransport start(int validator) {
    return start(validator, testConfig(), new Recorder(), group);
  }

  NettyPeerTransport start(int validator, PeerTransportConfig config, Recorder recorder, EventLoopGroup loops) {
    NettyPeerTransport t = NettyPeerTransport.builder(chain, validator, key(validator))
        .config(config)
        .listenAddress(new InetSocketAddress("127.0.0.1", 0))
        .peerAddresses(addresses::get)
        .eventLoopGroup(loops)
        .build();
    t.start(recorder);
    addresses.put(validator, t.boundAddress());
    transports[validator] = t;
    recorders[validator] = recorder;
    return t;
  }

  void stop(int validator) {
    addresses.remove(validator);
    transports[validator].close();
  }

  void awaitFullyConnected(int... validators) {
    for (int v : validators) {
      await("validator " + v + " connected to " + (validators.length - 1) + " peers",
          () -> transports[v].connectedPeerCount() >= validators.length - 1);
    }
  }

  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("gave up waiting for: " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for: " + what);
      }
    }
  }

  /** A payload naming its route and sequence, with a deterministic body of varying length. */
  static ByteString payload(int from, int to, int seq) {
    int length = 12 + (seq * 37) % 600;
    byte[] b = new byte[length];
    java.nio.ByteBuffer.wrap(b).putInt(from).putInt(to).putInt(seq);
    for (int i = 12; i < length; i++) {
      b[i] = (byte) (from * 31 + to * 17 + seq * 7 + i);
    }
    return ByteString.copyFrom(b);
  }

  @Override
  public void close() {
    for (NettyPeerTransport t : transports) {
      if (t != null) {
        t.close();
      }
    }
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }

  /** A listener that keeps everything it hears. */
  static class Recorder implements PeerTransport.Listener {
    final Map<Integer, List<ByteString>> messages = new ConcurrentHashMap<>();
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(int fromValidator, ByteString payload) {
      messages.computeIfAbsent(fromValidator, k -> Collections.synchronizedList(new ArrayList<>())).add(payload);
    }

    @Override
    public void onPeerConnected(int validator) {
      events.add("connected " + validator);
    }

    @Override
    public void onPeerDisconnected(int validator) {
      events.add("disconnected " + validator);
    }

    List<ByteString> from(int validator) {
      List<ByteString> got = messages.getOrDefault(validator, List.of());
      synchronized (got) {
        return new ArrayList<>(got);
      }
    }

    int count(int validator) {
      return messages.getOrDefault(validator, List.of()).size();
    }
  }
}
