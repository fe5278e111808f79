package org.fedledger.ledger.chain;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.function.UnaryOperator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.FinalityProof;
import org.fedledger.proto.Role;
import org.fedledger.proto.ValidatorSignature;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class FinalityTest {
  private static final EnumSet<FinalityError> SEEN = EnumSet.noneOf(FinalityError.class);
  private static final long VIEW = 3;

  private final Chain chain = TestLedger.chain();
  private final Finality finality = new Finality(chain);
  /** Blocks 1..8 of the test chain; blocks.get(i) has height i + 1. */
  private final List<Block> blocks = build(chain, 8);

  /** {@code count} linked blocks on top of a made-up genesis, block 3 with two transactions. */
  static List<Block> build(Chain chain, int count) {
    List<Block> out = new ArrayList<>();
    ChainHead parent = new ChainHead(0, Hash.sha256(ByteString.copyFromUtf8("genesis")), 1_000_000L);
    for (int i = 1; i <= count; i++) {
      List<ParsedTx> txs = new ArrayList<>();
      if (i == 3) {
        txs.add(TestLedger.parsed(TestLedger.ADMIN, TestLedger.register(TestLedger.ADMIN, 1, TestLedger.key(200), Role.EDGE)));
        txs.add(TestLedger.parsed(TestLedger.ADMIN, TestLedger.register(TestLedger.ADMIN, 2, TestLedger.key(201), Role.EDGE)));
      }
      Block b = Blocks.build(chain, parent, txs, Hash.sha256(ByteString.copyFromUtf8("state" + i)), i - 1,
          i % 4, VIEW, parent.timestampMillis() + 1);
      out.add(b);
      parent = new ChainHead(i, Blocks.hash(b), parent.timestampMillis() + 1);
    }
    return out;
  }

  private Block block(long height) {
    return blocks.get((int) height - 1);
  }

  /** A certificate of block {@code height} signed by validators {@code signers} (key i is validator i). */
  private CommitCertificate cert(long height, int... signers) {
    return certOver(TestLedger.CHAIN_ID, VIEW, height, Blocks.hash(block(height)), signers);
  }

  private static CommitCertificate certOver(String chainId, long view, long height, Hash hash, int... signers) {
    ByteString statement = Finality.commitStatement(chainId, view, height, hash.bytes());
    CommitCertificate.Builder c = CommitCertificate.newBuilder().setView(view).setHeight(height).setBlockHash(hash.bytes());
    for (int s : signers) {
      KeyPair k = TestLedger.key(s);
      c.addSignatures(ValidatorSignature.newBuilder().setValidator(s).setSignature(k.sign(statement)));
    }
    return c.build();
  }

  /** Block {@code height} as stored without a certificate of its own. */
  private CertifiedBlock uncertified(long height) {
    return CertifiedBlock.newBuilder().setBlock(block(height)).setCertificate(CommitCertificate.newBuilder()
        .setView(VIEW).setHeight(height).setBlockHash(Blocks.hash(block(height)).bytes())).build();
  }

  /** The proof of block {@code height} up to the certified block {@code top}. */
  private FinalityProof proof(long height, long top) {
    FinalityProof.Builder p = FinalityProof.newBuilder().setCertificate(cert(top, 0, 1, 2));
    for (long h = height + 1; h <= top; h++) {
      p.addHeaders(block(h).getHeader());
    }
    return p.build();
  }

  private FinalityCheck assertRefused(FinalityCheck c, FinalityError error, String messagePart) {
    assertThat(c).isInstanceOf(FinalityCheck.NotProved.class);
    FinalityCheck.NotProved n = (FinalityCheck.NotProved) c;
    assertThat(n.error()).as(n.message()).isEqualTo(error);
    assertThat(n.message()).contains(messagePart);
    assertThat(c.ok()).isFalse();
    SEEN.add(error);
    return c;
  }

  @AfterAll
  static void everyReasonIsTested() {
    assertThat(SEEN).containsExactlyInAnyOrder(FinalityError.values());
  }

  @Test
  void aCertifiedBlockIsFinalByItsOwnCertificate() {
    for (int[] signers : new int[][] {{0, 1, 2}, {3, 1, 0}, {0, 1, 2, 3}}) {
      CertifiedBlock cb = CertifiedBlock.newBuilder().setBlock(block(3)).setCertificate(cert(3, signers)).build();
      FinalityCheck c = finality.check(cb);
      assertThat(c.ok()).as(c.toString()).isTrue();
      FinalityCheck.Final f = (FinalityCheck.Final) c;
      assertThat(f.header().getHeight()).isEqualTo(3);
      assertThat(f.hash()).isEqualTo(Blocks.hash(block(3)));
      assertThat(f.certifiedHeight()).isEqualTo(3);
      assertThat(f.selfCertified()).isTrue();
    }
    assertThat(finality.quorum()).isEqualTo(3);
    assertThat(Finality.quorum(1)).isEqualTo(1);
    assertThat(Finality.quorum(7)).isEqualTo(5);
  }

  @Test
  void tooFewDuplicateOutOfRangeOrForgedSignersAreNotEnough() {
    assertRefused(finality.check(withCert(3, cert(3, 0, 1))), FinalityError.TOO_FEW_SIGNERS, "2 valid signatures");
    assertRefused(finality.check(withCert(3, cert(3, 0, 0, 1))), FinalityError.TOO_FEW_SIGNERS, "2 valid");
    // Validator 2's slot signed with key 1: a forged signature does not count.
    CommitCertificate forged = cert(3, 0, 1, 1).toBuilder()
        .setSignatures(2, cert(3, 1).getSignatures(0).toBuilder().setValidator(2)).build();
    assertRefused(finality.check(withCert(3, forged)), FinalityError.TOO_FEW_SIGNERS, "2 valid");
    // Key 4 exists but is no validator; index 4 is out of range.
    assertRefused(finality.check(withCert(3, cert(3, 0, 1, 4))), FinalityError.TOO_FEW_SIGNERS, "2 valid");
    CommitCertificate padded = cert(3, 0, 1, 2, 3).toBuilder().addSignatures(cert(3, 0).getSignatures(0)).build();
    assertRefused(finality.check(withCert(3, padded)), FinalityError.TOO_MANY_SIGNATURES, "5 signatures");
    // A signature that is not 64 bytes simply does not count.
    CommitCertificate truncated = cert(3, 0, 1, 2).toBuilder().setSignatures(2, ValidatorSignature.newBuilder()
        .setValidator(2).setSignature(ByteString.copyFrom(new byte[5]))).build();
    assertRefused(finality.check(withCert(3, truncated)), FinalityError.TOO_FEW_SIGNERS, "2 valid");
  }

  @Test
  void signaturesOverAnotherChainViewOrBlockDoNotCount() {
    Hash hash = Blocks.hash(block(3));
    assertRefused(finality.check(withCert(3, certOver("other-chain", VIEW, 3, hash, 0, 1, 2))),
        FinalityError.TOO_FEW_SIGNERS, "0 valid");
    // Signed for view 4 but presented as view 3.
    CommitCertificate otherView = certOver(TestLedger.CHAIN_ID, VIEW + 1, 3, hash, 0, 1, 2).toBuilder().setView(VIEW).build();
    assertRefused(finality.check(withCert(3, otherView)), FinalityError.TOO_FEW_SIGNERS, "0 valid");
    // A valid certificate of block 4 served with block 3, and one naming the right hash at another height.
    assertRefused(finality.check(withCert(3, cert(4, 0, 1, 2))), FinalityError.CERTIFICATE_MISMATCH, "for block 4");
    assertRefused(finality.check(withCert(3, certOver(TestLedger.CHAIN_ID, VIEW, 2, hash, 0, 1, 2))),
        FinalityError.CERTIFICATE_MISMATCH, "not block 3");
  }

  @Test
  void aBlockOfAnotherChainOrWithAlteredTransactionsIsRefused() {
    Chain other = Chain.of(TestLedger.genesis().setChainId("other-chain").build());
    Block foreign = build(other, 2).get(1);
    CommitCertificate foreignCert = certOver("other-chain", VIEW, 2, Blocks.hash(foreign), 0, 1, 2);
    assertRefused(finality.check(CertifiedBlock.newBuilder().setBlock(foreign).setCertificate(foreignCert).build()),
        FinalityError.WRONG_CHAIN, "'other-chain'");
    assertThat(new Finality(other).check(CertifiedBlock.newBuilder().setBlock(foreign).setCertificate(foreignCert).build())
        .ok()).isTrue();

    Block dropped = block(3).toBuilder().removeTransactions(1).build();
    assertRefused(finality.check(CertifiedBlock.newBuilder().setBlock(dropped).setCertificate(cert(3, 0, 1, 2)).build()),
        FinalityError.TX_ROOT_MISMATCH, "1 transactions of block 3");
    // Served without its transactions (StreamBlocks without include_transactions): the header is still proved.
    Block headerOnly = block(3).toBuilder().clearTransactions().build();
    assertThat(finality.check(CertifiedBlock.newBuilder().setBlock(headerOnly).setCertificate(cert(3, 0, 1, 2)).build())
        .ok()).isTrue();
    Block garbled = block(3).toBuilder().setHeader(ByteString.copyFrom(new byte[] {0x12, (byte) 0xff})).build();
    assertRefused(finality.check(CertifiedBlock.newBuilder().setBlock(garbled).build()), FinalityError.MALFORMED_HEADER,
        "does not parse");
  }

  @Test
  void anUncertifiedBlockIsFinalByTheHeaderChainUpToACertifiedBlock() {
    assertRefused(finality.check(uncertified(2)), FinalityError.NO_PROOF, "ask again");
    for (long top = 2; top <= 8; top++) {
      FinalityCheck c = finality.check(uncertified(2).toBuilder().setProof(proof(2, top)).build());
      assertThat(c.ok()).as("proof up to %d: %s", top, c).isTrue();
      assertThat(((FinalityCheck.Final) c).certifiedHeight()).isEqualTo(top);
      assertThat(((FinalityCheck.Final) c).selfCertified()).isEqualTo(top == 2);
      assertThat(((FinalityCheck.Final) c).header().getHeight()).isEqualTo(2);
    }
    // The block's own certificate, if it has signatures but fails, does not spoil a good proof.
    CertifiedBlock badOwn = withCert(2, cert(2, 0)).toBuilder().setProof(proof(2, 5)).build();
    assertThat(finality.check(badOwn).ok()).isTrue();
    assertRefused(finality.check(withCert(2, cert(2, 0))), FinalityError.TOO_FEW_SIGNERS, "1 valid");
  }

  @Test
  void tamperedMissingOrReorderedProofHeadersAreRefused() {
    FinalityProof good = proof(2, 6); // headers 3, 4, 5, 6
    assertRefused(finality.check(served(2, good.toBuilder().setHeaders(1, retimed(4)).build())),
        FinalityError.BROKEN_PROOF_CHAIN, "(height 5) does not name block 4");
    assertRefused(finality.check(served(2, good.toBuilder().setHeaders(3, retimed(6)).build())),
        FinalityError.CERTIFICATE_MISMATCH, "the proof's certificate");
    assertRefused(finality.check(served(2, good.toBuilder().clearHeaders().addHeaders(good.getHeaders(0))
        .addAllHeaders(good.getHeadersList().subList(2, 4)).build())),
        FinalityError.BROKEN_PROOF_CHAIN, "has height 5, expected 4");
    assertRefused(finality.check(served(2, good.toBuilder().setHeaders(0, good.getHeaders(1))
        .setHeaders(1, good.getHeaders(0)).build())), FinalityError.BROKEN_PROOF_CHAIN, "has height 4, expected 3");
    assertRefused(finality.check(served(2, good.toBuilder().setHeaders(2, ByteString.copyFrom(new byte[] {0x12, (byte) 0xff}))
        .build())), FinalityError.MALFORMED_PROOF_HEADER, "proof header 2 (height 5)");
    // A header that links but was re-written with another chain id.
    BlockHeader h3 = header(block(3));
    ByteString foreign3 = h3.toBuilder().setChainId("other-chain").build().toByteString();
    assertRefused(finality.check(served(2, FinalityProof.newBuilder().addHeaders(foreign3)
        .setCertificate(certOver(TestLedger.CHAIN_ID, VIEW, 3, Hash.sha256(foreign3), 0, 1, 2)).build())),
        FinalityError.WRONG_CHAIN, "proof header 0");
  }

  @Test
  void aProofOfAnotherBlockOrWithABadCertificateIsRefused() {
    // Block 3's proof served with block 2, and block 2's proof served with block 1.
    assertRefused(finality.check(served(2, proof(3, 6))), FinalityError.BROKEN_PROOF_CHAIN, "has height 4, expected 3");
    FinalityProof ofTwo = proof(2, 5);
    assertRefused(finality.check(uncertified(1).toBuilder().setProof(ofTwo).build()),
        FinalityError.BROKEN_PROOF_CHAIN, "has height 3, expected 2");
    // The right headers but a certificate of too few signers, of a block below the top, or of another chain.
    assertRefused(finality.check(served(2, ofTwo.toBuilder().setCertificate(cert(5, 0, 1)).build())),
        FinalityError.TOO_FEW_SIGNERS, "the proof's certificate: the certificate of block 5 has 2");
    assertRefused(finality.check(served(2, ofTwo.toBuilder().setCertificate(cert(4, 0, 1, 2)).build())),
        FinalityError.CERTIFICATE_MISMATCH, "not block 5");
    assertRefused(finality.check(served(2, ofTwo.toBuilder().setCertificate(
        certOver("other-chain", VIEW, 5, Blocks.hash(block(5)), 0, 1, 2)).build())), FinalityError.TOO_FEW_SIGNERS, "0 valid");
    assertRefused(finality.check(served(2, ofTwo.toBuilder().clearCertificate().build())),
        FinalityError.CERTIFICATE_MISMATCH, "for block 0");
  }

  /**
   * Property: for any block of a chain and any certified block at or above it, the header chain
   * between them proves it; changing any one byte of any proof header makes the proof fail.
   */
  @Property(tries = 60)
  void anyHonestProofVerifiesAndAnyFlippedByteBreaksIt(@ForAll @IntRange(min = 1, max = 8) int height,
      @ForAll @IntRange(min = 0, max = 7) int above, @ForAll @IntRange(min = 0, max = 10_000) int where,
      @ForAll @IntRange(min = 1, max = 255) int flip) {
    long top = Math.min(8, height + above);
    FinalityProof p = proof(height, top);
    assertThat(finality.check(served(height, p)).ok()).isTrue();
    if (p.getHeadersCount() == 0) {
      return;
    }
    int i = where % p.getHeadersCount();
    byte[] bytes = p.getHeaders(i).toByteArray();
    int at = (where / p.getHeadersCount()) % bytes.length;
    bytes[at] ^= (byte) flip;
    FinalityCheck c = finality.check(served(height, p.toBuilder().setHeaders(i, ByteString.copyFrom(bytes)).build()));
    assertThat(c.ok()).as("header %d byte %d ^ %d", i, at, flip).isFalse();
  }

  /** Property: a certificate verifies exactly when 2f+1 distinct validators signed it. */
  @Property(tries = 60)
  void aCertificateNeedsTwoFPlusOneDistinctSigners(@ForAll @Size(max = 4) List<@IntRange(min = 0, max = 5) Integer> signers) {
    int[] s = signers.stream().mapToInt(Integer::intValue).toArray();
    long distinctValidators = signers.stream().filter(v -> v < 4).distinct().count();
    FinalityCheck c = finality.check(withCert(5, cert(5, s)));
    assertThat(c.ok()).as("%s: %s", signers, c).isEqualTo(distinctValidators >= 3);
  }

  private CertifiedBlock withCert(long height, CommitCertificate cert) {
    return CertifiedBlock.newBuilder().setBlock(block(height)).setCertificate(cert).build();
  }

  private CertifiedBlock served(long height, FinalityProof proof) {
    return uncertified(height).toBuilder().setProof(proof).build();
  }

  private ByteString retimed(long height) {
    return change(block(height), h -> h.setTimestampMillis(h.getTimestampMillis() + 1)).getHeader();
  }

  private static Block change(Block b, UnaryOperator<BlockHeader.Builder> how) {
    return b.toBuilder().setHeader(how.apply(header(b).toBuilder()).build().toByteString()).build();
  }

  private static BlockHeader header(Block b) {
    try {
      return BlockHeader.parseFrom(b.getHeader());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
