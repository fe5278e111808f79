package org.fedledger.ledger.chain;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.CommitStatement;
import org.fedledger.proto.FinalityProof;
import org.fedledger.proto.ValidatorSignature;

/**
 * What a client checks, knowing only the genesis, to trust that a served block is final.
 *
 * <p>A certified block carries a {@link CommitCertificate}: valid Ed25519 signatures of at
 * least 2f+1 distinct genesis validators over the canonical {@link CommitStatement}{chain_id,
 * view, height, block_hash} of that block (the bytes consensus signs). Any other block carries
 * a certificate without signatures and, once the node serving it has committed a certified
 * block above it, a {@link FinalityProof}: the headers of blocks h+1..H, each naming the
 * previous one's hash (SHA-256 of its header bytes) as previous_hash, and the certificate of
 * block H. A certified block fixes every block below it, because each header fixes its parent.
 *
 * <p>The transactions a block carries, if any, are checked against the header's tx_root; a
 * block served without its transactions proves its header only. Never throws on bad input.
 */
public final class Finality {
  private final Chain chain;
  private final int quorum;

  /** A verifier for blocks of {@code chain}. */
  public Finality(Chain chain) {
    this.chain = chain;
    this.quorum = quorum(chain.validatorCount());
  }

  /** 2f+1 for n = {@code validators}, where f = (n-1)/3: the signers a certificate needs. */
  public static int quorum(int validators) {
    return 2 * ((validators - 1) / 3) + 1;
  }

  /** The signers a certificate of this chain needs. */
  public int quorum() {
    return quorum;
  }

  /** The bytes a validator signs when it commits {@code blockHash} at (view, height) on chain {@code chainId}. */
  public static ByteString commitStatement(String chainId, long view, long height, ByteString blockHash) {
    return CommitStatement.newBuilder().setChainId(chainId).setView(view).setHeight(height)
        .setBlockHash(blockHash).build().toByteString();
  }

  /**
   * Checks that {@code served} is a final block of this chain: by its own certificate when
   * that has signatures, otherwise (or if that certificate fails) by its finality proof.
   */
  public FinalityCheck check(CertifiedBlock served) {
    BlockHeader header;
    try {
      header = BlockHeader.parseFrom(served.getBlock().getHeader());
    } catch (InvalidProtocolBufferException e) {
      return notProved(FinalityError.MALFORMED_HEADER, "the block's header does not parse: " + e.getMessage());
    }
    if (!header.getChainId().equals(chain.chainId())) {
      return notProved(FinalityError.WRONG_CHAIN, "block " + header.getHeight() + " is of chain '"
          + header.getChainId() + "', not '" + chain.chainId() + "'");
    }
    if (served.getBlock().getTransactionsCount() > 0
        && !Blocks.txRoot(served.getBlock().getTransactionsList()).bytes().equals(header.getTxRoot())) {
      return notProved(FinalityError.TX_ROOT_MISMATCH, "the " + served.getBlock().getTransactionsCount()
          + " transactions of block " + header.getHeight() + " do not have its tx_root");
    }
    Hash hash = Blocks.hash(served.getBlock());
    Optional<FinalityCheck.NotProved> own = Optional.of(notProved(FinalityError.NO_PROOF, "block "
        + header.getHeight() + " has no certificate of its own and no finality proof yet: ask again once a"
        + " certified block above it is committed"));
    if (served.getCertificate().getSignaturesCount() > 0) {
      own = checkCertificate(served.getCertificate(), header.getHeight(), hash);
      if (own.isEmpty()) {
        return new FinalityCheck.Final(header, hash, header.getHeight());
      }
    }
    if (!served.hasProof()) {
      return own.get();
    }
    return checkProof(served.getProof(), header, hash);
  }

  /**
   * Checks that {@code proof} proves the block at {@code header} (whose hash is {@code hash})
   * final: its headers extend that block one height at a time up to H and H's certificate verifies.
   */
  public FinalityCheck checkProof(FinalityProof proof, BlockHeader header, Hash hash) {
    long height = header.getHeight();
    Hash previous = hash;
    for (int i = 0; i < proof.getHeadersCount(); i++) {
      ByteString bytes = proof.getHeaders(i);
      long expected = height + 1 + i;
      BlockHeader h;
      try {
        h = BlockHeader.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        return notProved(FinalityError.MALFORMED_PROOF_HEADER, "proof header " + i + " (height " + expected
            + ") does not parse: " + e.getMessage());
      }
      if (!h.getChainId().equals(chain.chainId())) {
        return notProved(FinalityError.WRONG_CHAIN, "proof header " + i + " is of chain '" + h.getChainId()
            + "', not '" + chain.chainId() + "'");
      }
      if (h.getHeight() != expected) {
        return notProved(FinalityError.BROKEN_PROOF_CHAIN, "proof header " + i + " has height "
            + h.getHeight() + ", expected " + expected);
      }
      if (!h.getPreviousHash().equals(previous.bytes())) {
        return notProved(FinalityError.BROKEN_PROOF_CHAIN, "proof header " + i + " (height " + expected
            + ") does not name block " + (expected - 1) + " " + previous.shortHex() + " as its previous block");
      }
      previous = Hash.sha256(bytes);
    }
    long top = height + proof.getHeadersCount();
    Optional<FinalityCheck.NotProved> cert = checkCertificate(proof.getCertificate(), top, previous);
    if (cert.isPresent()) {
      FinalityCheck.NotProved p = cert.get();
      return notProved(p.error(), "the proof's certificate: " + p.message());
    }
    return new FinalityCheck.Final(header, hash, top);
  }

  /**
   * Checks that {@code cert} certifies {@code blockHash} at {@code height}: its height and hash
   * are those, and at least 2f+1 distinct validators signed its CommitStatement validly.
   *
   * @return empty when it does, otherwise why not
   */
  public Optional<FinalityCheck.NotProved> checkCertificate(CommitCertificate cert, long height, Hash blockHash) {
    if (cert.getHeight() != height || !cert.getBlockHash().equals(blockHash.bytes())) {
      return Optional.of(notProved(FinalityError.CERTIFICATE_MISMATCH, "the certificate is for block "
          + cert.getHeight() + " " + Keys.shortHex(cert.getBlockHash()) + ", not block " + height + " " + blockHash.shortHex()));
    }
    List<ValidatorSignature> signatures = cert.getSignaturesList();
    if (signatures.size() > chain.validatorCount()) {
      return Optional.of(notProved(FinalityError.TOO_MANY_SIGNATURES, "the certificate of block " + height
          + " lists " + signatures.size() + " signatures, there are " + chain.validatorCount() + " validators"));
    }
    ByteString statement = commitStatement(chain.chainId(), cert.getView(), height, cert.getBlockHash());
    TreeSet<Integer> signers = new TreeSet<>();
    for (ValidatorSignature s : signatures) {
      int v = s.getValidator();
      if (signers.size() < quorum && v >= 0 && v < chain.validatorCount() && !signers.contains(v)
          && Ed25519.verify(chain.validators().get(v).getPublicKey(), statement, s.getSignature())) {
        signers.add(v);
      }
    }
    if (signers.size() < quorum) {
      return Optional.of(notProved(FinalityError.TOO_FEW_SIGNERS, "the certificate of block " + height + " has "
          + signers.size() + " valid signatures of distinct validators, needs " + quorum));
    }
    return Optional.empty();
  }

  private static FinalityCheck.NotProved notProved(FinalityError error, String message) {
    return new FinalityCheck.NotProved(error, message);
  }
}
