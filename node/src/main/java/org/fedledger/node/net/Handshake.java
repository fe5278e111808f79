package org.fedledger.node.net;

import com.google.protobuf.ByteString;
import java.util.Optional;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.proto.PeerAuthStatement;
import org.fedledger.proto.PeerHello;

/**
 * The rules of the peer handshake (see {@code fedledger/v1/peer.proto}): frame kinds, what a
 * validator signs, and which HELLO is acceptable. Pure functions, so tests can play either side.
 */
final class Handshake {
  /** Version carried in {@link PeerHello#getProtocolVersion()}. */
  static final int PROTOCOL_VERSION = 1;
  /** Domain separation tag of {@link PeerAuthStatement}. */
  static final String DOMAIN = "fedledger/peer-auth/v1";
  /** Length of a challenge in bytes. */
  static final int CHALLENGE_LENGTH = 32;

  /** Frame kinds: the byte after the length prefix. */
  static final byte KIND_HELLO = 1;
  static final byte KIND_AUTH = 2;
  static final byte KIND_PAYLOAD = 3;
  static final byte KIND_PING = 4;

  /** Bytes before the body: length (4) and kind (1). */
  static final int HEADER_BYTES = 5;

  private Handshake() {}

  /** The bytes validator {@code signer} signs to authenticate to {@code verifier}. */
  static ByteString statement(
      Chain chain, int signer, int verifier, ByteString verifierChallenge, ByteString signerChallenge) {
    return PeerAuthStatement.newBuilder()
        .setDomain(DOMAIN)
        .setGenesisHash(chain.genesisHash().bytes())
        .setSigner(signer)
        .setVerifier(verifier)
        .setVerifierChallenge(verifierChallenge)
        .setSignerChallenge(signerChallenge)
        .build()
        .toByteString();
  }

  /**
   * Why {@code hello}, received by validator {@code self}, is refused; empty when it is
   * acceptable. {@code dialed} is the index this side dialed, or -1 for an accepted connection.
   */
  static Optional<CloseReason> check(Chain chain, int self, int dialed, PeerHello hello) {
    if (hello.getProtocolVersion() != PROTOCOL_VERSION) {
      return Optional.of(CloseReason.PROTOCOL_VERSION);
    }
    if (!hello.getGenesisHash().equals(chain.genesisHash().bytes())) {
      return Optional.of(CloseReason.WRONG_GENESIS);
    }
    if (hello.getChallenge().size() != CHALLENGE_LENGTH) {
      return Optional.of(CloseReason.MALFORMED_FRAME);
    }
    int claimed = hello.getValidator();
    if (claimed < 0 || claimed >= chain.validatorCount() || claimed == self) {
      return Optional.of(CloseReason.UNKNOWN_VALIDATOR);
    }
    if (!chain.validators().get(claimed).getPublicKey().equals(hello.getPublicKey())) {
      return Optional.of(CloseReason.UNKNOWN_KEY);
    }
    if (dialed < 0 && claimed > self) {
      return Optional.of(CloseReason.WRONG_DIRECTION);
    }
    if (dialed >= 0 && claimed != dialed) {
      return Optional.of(CloseReason.UNEXPECTED_VALIDATOR);
    }
    return Optional.empty();
  }

  /** True when {@code signature} proves that validator {@code signer} holds its genesis key. */
  static boolean verify(Chain chain, int signer, int verifier, ByteString verifierChallenge,
      ByteString signerChallenge, ByteString signature) {
    ByteString key = chain.validators().get(signer).getPublicKey();
    return Ed25519.verify(key, statement(chain, signer, verifier, verifierChallenge, signerChallenge), signature);
  }

  /** Who dials whom: the lower index dials the higher, so a pair has exactly one connection. */
  static boolean dials(int self, int other) {
    return self < other;
  }
}
