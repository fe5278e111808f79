package org.fedledger.node.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.Optional;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.FinalityProof;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attaches a {@link FinalityProof} to a stored block that has no certificate of its own, as it
 * is served to a client: the header bytes of the blocks above it up to the first one stored with
 * a certificate (2f+1 signatures), and that certificate. Proofs are built from the store on each
 * request and never stored.
 *
 * <p>Consensus certifies every K-th block and the last block of each leader burst, so a proof
 * spans at most K headers once the next certified block is committed; until then (the
 * uncertified tail of the chain, for at most K blocks or the rest of the current burst) the
 * block is served without a proof. The scan is bounded by {@code headersMax}.
 */
public final class FinalityProver {
  /** Default bound on the headers of one proof (and on the blocks read to build it). */
  public static final int HEADERS_MAX = 1024;

  private static final Logger LOG = LoggerFactory.getLogger(FinalityProver.class);

  private final LedgerStore store;
  private final int quorum;
  private final int headersMax;

  /** A prover over {@code store} of {@code chain}, scanning at most {@code headersMax} blocks up. */
  public FinalityProver(Chain chain, LedgerStore store, int headersMax) {
    if (headersMax < 1) {
      throw new IllegalArgumentException("headersMax must be positive, got " + headersMax);
    }
    this.store = store;
    this.quorum = Finality.quorum(chain.validatorCount());
    this.headersMax = headersMax;
  }

  /** A prover with the default bound {@link #HEADERS_MAX}. */
  public FinalityProver(Chain chain, LedgerStore store) {
    this(chain, store, HEADERS_MAX);
  }

  /**
   * {@code stored} as a client should get it: unchanged when its certificate has 2f+1
   * signatures, otherwise with the proof of its finality if a certified block above it is
   * committed (and without one if not yet).
   */
  public CertifiedBlock serve(CertifiedBlock stored) {
    if (stored.hasProof()) {
      stored = stored.toBuilder().clearProof().build(); // never stored; a peer's is not ours to serve
    }
    if (stored.getCertificate().getSignaturesCount() >= quorum) {
      return stored;
    }
    long height;
    try {
      height = BlockHeader.parseFrom(stored.getBlock().getHeader()).getHeight();
    } catch (InvalidProtocolBufferException e) {
      LOG.warn("stored block at certificate height {} has a header that does not parse: {}",
          stored.getCertificate().getHeight(), e.getMessage());
      return stored;
    }
    Optional<FinalityProof> proof = proof(height);
    return proof.isEmpty() ? stored : stored.toBuilder().setProof(proof.get()).build();
  }

  /**
   * The proof that block {@code height} is final: headers height+1..H and the certificate of
   * the first block H above it stored with 2f+1 signatures; empty if no such block is committed
   * within {@code headersMax} blocks.
   */
  public Optional<FinalityProof> proof(long height) {
    long head = store.head().map(h -> h.height()).orElse(-1L);
    FinalityProof.Builder proof = FinalityProof.newBuilder();
    for (long h = height + 1; h <= head; h++) {
      if (h - height > headersMax) {
        LOG.warn("no certified block within {} blocks above block {} (head {}): served without a finality proof",
            headersMax, height, head);
        return Optional.empty();
      }
      Optional<ByteString> bytes = store.blockBytes(h);
      if (bytes.isEmpty()) {
        return Optional.empty(); // not stored here (pruned): no proof from this node
      }
      Stored s;
      try {
        s = headerAndCertificate(bytes.get());
      } catch (IOException e) {
        LOG.warn("stored block {} does not parse: {}", h, e.getMessage());
        return Optional.empty();
      }
      proof.addHeaders(s.header());
      if (s.certificate().getSignaturesCount() >= quorum) {
        return Optional.of(proof.setCertificate(s.certificate()).build());
      }
    }
    return Optional.empty();
  }

  /** The parts of a stored block a proof needs. */
  record Stored(ByteString header, CommitCertificate certificate) {}

  /**
   * Reads Block.header and the certificate out of serialized CertifiedBlock bytes without
   * parsing (or copying) the block's transactions.
   */
  static Stored headerAndCertificate(ByteString certifiedBlock) throws IOException {
    CodedInputStream in = certifiedBlock.newCodedInput();
    ByteString header = ByteString.EMPTY;
    CommitCertificate.Builder certificate = CommitCertificate.newBuilder();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == CertifiedBlock.BLOCK_FIELD_NUMBER && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int limit = in.pushLimit(in.readRawVarint32());
        for (int t = in.readTag(); t != 0; t = in.readTag()) {
          if (WireFormat.getTagFieldNumber(t) == org.fedledger.proto.Block.HEADER_FIELD_NUMBER
              && WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            header = UnsafeByteOperations.unsafeWrap(in.readByteArray()); // a copy: keeps no block alive
          } else if (!in.skipField(t)) {
            break;
          }
        }
        in.popLimit(limit);
      } else if (field == CertifiedBlock.CERTIFICATE_FIELD_NUMBER
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        in.readMessage(certificate, com.google.protobuf.ExtensionRegistryLite.getEmptyRegistry());
      } else if (!in.skipField(tag)) {
        break;
      }
    }
    return new Stored(header, certificate.build());
  }
}
