package org.fedledger.node.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedledger.node.net.PeerNet.await;
import static org.fedledger.node.net.PeerNet.payload;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.PeerAuth;
import org.fedledger.proto.PeerHello;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The handshake against a real transport (validator 3 of 4, which every lower index dials),
 * played by hand over a socket, on NIO and on native epoll: impostors, replays and other chains
 * are refused and counted.
 */
class HandshakeTest {

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void legitimateValidatorIsAcceptedAndItsMessagesAttributedToIt(PeerIo io) throws IOException {
    try (PeerNet net = new PeerNet(4, io); RawPeer raw = new RawPeer(listen(net))) {
      ByteString mine = challenge(1);
      PeerHello theirs = raw.readHello();
      assertThat(theirs.getValidator()).isEqualTo(3);
      handshake(raw, net.chain, 0, PeerNet.key(0), theirs, mine);
      assertThat(raw.read().kind()).isEqualTo(Handshake.KIND_AUTH);
      await("3 accepts 0", () -> net.transports[3].peerStatus().get(0).connected());
      raw.write(Handshake.KIND_PAYLOAD, payload(0, 3, 5));
      await("3 hears 0", () -> net.recorders[3].count(0) == 1);
      assertThat(net.recorders[3].from(0)).containsExactly(payload(0, 3, 5));
      assertThat(net.transports[3].send(0, payload(3, 0, 6))).isTrue();
      RawPeer.Frame back = raw.read();
      assertThat(back.kind()).isEqualTo(Handshake.KIND_PAYLOAD);
      assertThat(back.body()).isEqualTo(payload(3, 0, 6));
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void unknownKeyIsRefused(PeerIo io) throws IOException {
    KeyPair stranger = Ed25519.fromSeed(filled(99));
    try (PeerNet net = new PeerNet(4, io); RawPeer raw = new RawPeer(listen(net))) {
      PeerHello theirs = raw.readHello();
      handshake(raw, net.chain, 0, stranger, theirs, challenge(2));
      assertRefused(net, raw, CloseReason.UNKNOWN_KEY);
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void genesisKeyWithoutItsSecretIsRefused(PeerIo io) throws IOException {
    // Claims validator 0 and shows its public key, but signs with another secret.
    KeyPair forged = new KeyPair(PeerNet.key(0).publicKey(), ByteString.copyFrom(filled(77)));
    try (PeerNet net = new PeerNet(4, io); RawPeer raw = new RawPeer(listen(net))) {
      PeerHello theirs = raw.readHello();
      handshake(raw, net.chain, 0, forged, theirs, challenge(3));
      assertRefused(net, raw, CloseReason.BAD_SIGNATURE);
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void replayedHandshakeIsRefused(PeerIo io) throws IOException {
    try (PeerNet net = new PeerNet(4, io)) {
      byte[] recorded;
      try (RawPeer honest = new RawPeer(listen(net))) {
        handshake(honest, net.chain, 0, PeerNet.key(0), honest.readHello(), challenge(4));
        await("3 accepts the recorded handshake", () -> net.transports[3].peerStatus().get(0).connected());
        recorded = honest.sent.toByteArray();
      }
      await("3 sees the recorded connection end", () -> !net.transports[3].peerStatus().get(0).connected());
      try (RawPeer replayer = new RawPeer(net.transports[3].boundAddress())) {
        replayer.readHello(); // a fresh challenge the recording cannot answer
        replayer.writeRaw(recorded);
        assertRefused(net.transports[3], replayer, CloseReason.BAD_SIGNATURE);
      }
      await("disconnect reported", () -> net.recorders[3].events.size() == 2);
      assertThat(net.recorders[3].events).containsExactly("connected 0", "disconnected 0");
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void anotherChainsGenesisIsRefused(PeerIo io) throws IOException {
    Chain other = PeerNet.chain("another-chain", 4); // same keys, another genesis hash
    try (PeerNet net = new PeerNet(4, io); RawPeer raw = new RawPeer(listen(net))) {
      PeerHello theirs = raw.readHello();
      handshake(raw, other, 0, PeerNet.key(0), theirs, challenge(5));
      assertRefused(net, raw, CloseReason.WRONG_GENESIS);
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void anotherChainsTransportNeverConnects(PeerIo io) {
    try (PeerNet net = new PeerNet(4, io); PeerNet otherNet = new PeerNet(4, io)) {
      NettyPeerTransport mine = net.start(3);
      // otherNet has another chain id; its validator 0 dials our validator 3.
      Chain other = PeerNet.chain("another-chain", 4);
      NettyPeerTransport stranger = NettyPeerTransport.builder(other, 0, PeerNet.key(0))
          .config(PeerNet.testConfig())
          .listenAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
          .peerAddresses(v -> v == 3 ? mine.boundAddress() : null)
          .eventLoopGroup(otherNet.group)
          .build();
      otherNet.transports[0] = stranger;
      stranger.start(new PeerNet.Recorder());
      await("both refuse twice", () -> mine.closedConnections().get(CloseReason.WRONG_GENESIS) >= 2
          && stranger.closedConnections().get(CloseReason.WRONG_GENESIS) >= 2);
      assertThat(mine.peerStatus().get(0).connected()).isFalse();
      assertThat(net.recorders[3].events).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void higherIndexDialingALowerOneIsRefused(PeerIo io) throws IOException {
    try (PeerNet net = new PeerNet(4, io)) {
      net.start(1);
      try (RawPeer raw = new RawPeer(net.transports[1].boundAddress())) {
        PeerHello theirs = raw.readHello();
        handshake(raw, net.chain, 2, PeerNet.key(2), theirs, challenge(6));
        assertRefused(net.transports[1], raw, CloseReason.WRONG_DIRECTION);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void garbageAndOversizedHandshakesAreRefused(PeerIo io) throws IOException {
    try (PeerNet net = new PeerNet(4, io)) {
      net.start(3);
      try (RawPeer raw = new RawPeer(net.transports[3].boundAddress())) {
        raw.readHello();
        raw.write(Handshake.KIND_HELLO, ByteString.copyFrom(new byte[] {(byte) 0xff, 1, 2, 3}));
        assertRefused(net.transports[3], raw, CloseReason.MALFORMED_FRAME);
      }
      try (RawPeer raw = new RawPeer(net.transports[3].boundAddress())) {
        raw.readHello();
        raw.write(Handshake.KIND_PAYLOAD, payload(0, 3, 0)); // payload before authentication
        await("counted", () -> net.transports[3].closedConnections().get(CloseReason.MALFORMED_FRAME) == 2);
        assertThat(raw.closedByPeer()).isTrue();
      }
      try (RawPeer raw = new RawPeer(net.transports[3].boundAddress())) {
        raw.readHello();
        raw.writeRaw(new byte[] {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, Handshake.KIND_HELLO});
        assertRefused(net.transports[3], raw, CloseReason.OVERSIZED_FRAME);
      }
      assertThat(net.recorders[3].events).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void silentConnectionTimesOutInTheHandshake(PeerIo io) throws IOException {
    try (PeerNet net = new PeerNet(4, io)) {
      net.start(3, shortTimeouts(), new PeerNet.Recorder(), net.group);
      try (RawPeer raw = new RawPeer(net.transports[3].boundAddress())) {
        raw.readHello(); // and never answer
        assertRefused(net, raw, CloseReason.HANDSHAKE_TIMEOUT);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(PeerIo.class)
  void authenticatedPeerThatFallsSilentIsClosedAfterPings(PeerIo io) throws IOException {
    try (PeerNet net = new PeerNet(4, io)) {
      net.start(3, shortTimeouts(), new PeerNet.Recorder(), net.group);
      try (RawPeer raw = new RawPeer(net.transports[3].boundAddress())) {
        handshake(raw, net.chain, 0, PeerNet.key(0), raw.readHello(), challenge(10));
        assertThat(raw.read().kind()).isEqualTo(Handshake.KIND_AUTH);
        assertThat(raw.read().kind()).as("3 pings its idle link").isEqualTo(Handshake.KIND_PING);
        assertThat(raw.closedByPeer()).isTrue(); // we never ping back
        await("counted", () -> net.transports[3].closedConnections().get(CloseReason.IDLE_TIMEOUT) == 1);
        await("disconnect reported", () -> net.recorders[3].events.size() == 2);
        assertThat(net.recorders[3].events).containsExactly("connected 0", "disconnected 0");
      }
    }
  }

  /** Handshake 300 ms, ping 100 ms, idle 400 ms. */
  private static PeerTransportConfig shortTimeouts() {
    PeerTransportConfig d = PeerNet.testConfig();
    return new PeerTransportConfig(d.frameBytesMax(), d.writeBufferLowBytes(), d.writeBufferHighBytes(),
        d.reconnectInitialMillis(), d.reconnectMaxMillis(), 300, 100, 400, d.shutdownTimeoutMillis());
  }

  @Test
  void helloRulesInOrder() {
    Chain chain = PeerNet.chain("rules", 4);
    PeerHello ok = PeerHello.newBuilder()
        .setProtocolVersion(Handshake.PROTOCOL_VERSION)
        .setGenesisHash(chain.genesisHash().bytes())
        .setValidator(1)
        .setPublicKey(PeerNet.key(1).publicKey())
        .setChallenge(challenge(7))
        .build();
    assertThat(Handshake.check(chain, 2, -1, ok)).isEmpty();
    assertThat(Handshake.check(chain, 0, 1, ok)).isEmpty();
    assertThat(Handshake.check(chain, 0, -1, ok)).contains(CloseReason.WRONG_DIRECTION);
    assertThat(Handshake.check(chain, 0, 2, ok)).contains(CloseReason.UNEXPECTED_VALIDATOR);
    assertThat(Handshake.check(chain, 1, -1, ok)).contains(CloseReason.UNKNOWN_VALIDATOR);
    assertThat(Handshake.check(chain, 2, -1, ok.toBuilder().setValidator(4).build()))
        .contains(CloseReason.UNKNOWN_VALIDATOR);
    assertThat(Handshake.check(chain, 2, -1, ok.toBuilder().setProtocolVersion(2).build()))
        .contains(CloseReason.PROTOCOL_VERSION);
    assertThat(Handshake.check(chain, 2, -1, ok.toBuilder().setChallenge(ByteString.EMPTY).build()))
        .contains(CloseReason.MALFORMED_FRAME);
    assertThat(Handshake.check(chain, 2, -1, ok.toBuilder().setPublicKey(PeerNet.key(0).publicKey()).build()))
        .contains(CloseReason.UNKNOWN_KEY);
    Optional<CloseReason> otherChain = Handshake.check(PeerNet.chain("rules2", 4), 2, -1, ok);
    assertThat(otherChain).contains(CloseReason.WRONG_GENESIS);
  }

  @Test
  void signatureBindsEveryField() {
    Chain chain = PeerNet.chain("sig", 4);
    ByteString a = challenge(8);
    ByteString b = challenge(9);
    ByteString sig = PeerNet.key(0).sign(Handshake.statement(chain, 0, 3, a, b));
    assertThat(Handshake.verify(chain, 0, 3, a, b, sig)).isTrue();
    assertThat(Handshake.verify(chain, 0, 3, b, a, sig)).isFalse();
    assertThat(Handshake.verify(chain, 0, 2, a, b, sig)).isFalse();
    assertThat(Handshake.verify(chain, 1, 3, a, b, sig)).isFalse();
    assertThat(Handshake.verify(PeerNet.chain("sig2", 4), 0, 3, a, b, sig)).isFalse();
  }

  /** Starts validator 3 only and returns its address. */
  private static java.net.InetSocketAddress listen(PeerNet net) {
    return net.start(3).boundAddress();
  }

  /** Plays validator {@code claimed}: HELLO with {@code key}'s public key, then AUTH signed with it. */
  private static void handshake(RawPeer raw, Chain chain, int claimed, KeyPair key, PeerHello theirs,
      ByteString mine) throws IOException {
    raw.write(Handshake.KIND_HELLO, PeerHello.newBuilder()
        .setProtocolVersion(Handshake.PROTOCOL_VERSION)
        .setGenesisHash(chain.genesisHash().bytes())
        .setValidator(claimed)
        .setPublicKey(key.publicKey())
        .setChallenge(mine)
        .build().toByteString());
    ByteString statement = Handshake.statement(chain, claimed, theirs.getValidator(), theirs.getChallenge(), mine);
    raw.write(Handshake.KIND_AUTH, PeerAuth.newBuilder().setSignature(key.sign(statement)).build().toByteString());
  }

  private static void assertRefused(PeerNet net, RawPeer raw, CloseReason reason) throws IOException {
    assertRefused(net.transports[3], raw, reason);
    assertThat(net.recorders[3].events).isEmpty();
  }

  private static void assertRefused(NettyPeerTransport t, RawPeer raw, CloseReason reason) throws IOException {
    assertThat(raw.closedByPeer()).as("connection closed by the transport").isTrue();
    await(reason + " counted", () -> t.closedConnections().get(reason) >= 1);
    for (PeerStatus s : t.peerStatus()) {
      assertThat(s.connected()).isFalse();
    }
  }

  private static ByteString challenge(int fill) {
    return ByteString.copyFrom(filled(fill));
  }

  private static byte[] filled(int fill) {
    byte[] b = new byte[32];
    Arrays.fill(b, (byte) fill);
    return b;
  }
}
