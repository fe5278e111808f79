package org.fedledger.node.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.consensus.Statements;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.chain.FinalityCheck;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.node.TestChain;
import org.fedledger.node.store.BlockCommitter;
import org.fedledger.node.store.GenesisCommit;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.FinalityProof;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Proofs built from a real RocksDB store whose blocks are certified or not, as consensus leaves them. */
class FinalityProverTest {
  @TempDir
  Path dir;

  private final TestChain tc = TestChain.of(4, 30000);
  private final Finality finality = new Finality(tc.chain());
  private LedgerStore store;
  private int nonce;

  @BeforeEach
  void open() {
    store = LedgerStore.open(dir.resolve("db"), tc.chain().genesisHash(), Durability.GROUP);
    GenesisCommit.ensureGenesis(store, tc.chain());
  }

  @AfterEach
  void close() {
    store.close();
  }

  /** Commits a block of {@code txCount} registrations, certified or not; a proof it carries is never stored. */
  private CertifiedBlock commit(int txCount, boolean certified) {
    List<ParsedTx> txs = new ArrayList<>();
    for (int i = 0; i < txCount; i++) {
      nonce++;
      Envelope e = tc.register(nonce, nonce);
      txs.add(((TxCheck.Valid) new TxValidator(tc.chain()).check(e)).tx());
    }
    var head = store.head().orElseThrow();
    Block b = Blocks.build(tc.chain(), head, txs, store.stateRoot(), head.height(), 0, 0, head.timestampMillis() + 1);
    CertifiedBlock cb = CertifiedBlock.newBuilder().setBlock(b)
        .setCertificate(tc.certificate(head.height() + 1, Blocks.hash(b), certified)).build();
    new BlockCommitter(tc.chain(), store, Durability.GROUP)
        .commit(cb.toBuilder().setProof(FinalityProof.newBuilder().addHeaders(ByteString.copyFromUtf8("peer's"))).build(), txs);
    return cb;
  }

  @Test
  void theProofRunsToTheFirstCertifiedBlockAboveWithinTheBound() {
    List<CertifiedBlock> blocks = new ArrayList<>();
    blocks.add(store.block(0).orElseThrow());
    for (int h = 1; h <= 6; h++) {
      blocks.add(commit(h % 3, h == 4));
    }
    FinalityProver prover = new FinalityProver(tc.chain(), store, 3);
    // Block 1 needs headers 2, 3, 4: exactly the bound. Block 0 would need 4: none.
    FinalityProof p1 = prover.proof(1).orElseThrow();
    assertThat(p1.getHeadersList()).containsExactly(blocks.get(2).getBlock().getHeader(),
        blocks.get(3).getBlock().getHeader(), blocks.get(4).getBlock().getHeader());
    assertThat(p1.getCertificate()).isEqualTo(blocks.get(4).getCertificate());
    assertThat(prover.proof(0)).isEmpty();
    assertThat(prover.serve(blocks.get(0))).isEqualTo(blocks.get(0));
    assertThat(new FinalityProver(tc.chain(), store).proof(0).orElseThrow().getHeadersCount()).isEqualTo(4);
    // Blocks 5 and 6 are above the last certified block: no proof yet.
    assertThat(prover.proof(5)).isEmpty();
    assertThat(prover.serve(blocks.get(6))).isEqualTo(blocks.get(6));
    for (int h = 0; h <= 4; h++) {
      CertifiedBlock served = new FinalityProver(tc.chain(), store).serve(store.block(h).orElseThrow());
      FinalityCheck c = finality.check(served);
      assertThat(c.ok()).as("block %d: %s", h, c).isTrue();
      assertThat(((FinalityCheck.Final) c).certifiedHeight()).isEqualTo(4);
      assertThat(store.block(h).orElseThrow().hasProof()).isFalse();
    }
    assertThatThrownBy(() -> new FinalityProver(tc.chain(), store, 0)).hasMessageContaining("headersMax");
  }

  @Test
  void aProofTheBlockCarriesIsNeverServedAsOurs() {
    commit(1, true);
    CertifiedBlock stored = store.block(1).orElseThrow();
    CertifiedBlock withForeign = stored.toBuilder().setProof(FinalityProof.newBuilder()
        .addHeaders(ByteString.copyFromUtf8("x"))).build();
    assertThat(new FinalityProver(tc.chain(), store).serve(withForeign)).isEqualTo(stored);
  }

  @Test
  void headerAndCertificateAreReadWithoutParsingTheTransactions() throws Exception {
    commit(3, true);
    commit(0, false);
    for (long h = 0; h <= 2; h++) {
      CertifiedBlock full = store.block(h).orElseThrow();
      FinalityProver.Stored s = FinalityProver.headerAndCertificate(store.blockBytes(h).orElseThrow());
      assertThat(s.header()).isEqualTo(full.getBlock().getHeader());
      assertThat(s.certificate()).isEqualTo(full.getCertificate());
    }
    CertifiedBlock withProof = store.block(1).orElseThrow().toBuilder().setProof(FinalityProof.newBuilder()
        .addHeaders(ByteString.copyFromUtf8("h")).setCertificate(CommitCertificate.newBuilder().setHeight(9))).build();
    FinalityProver.Stored s = FinalityProver.headerAndCertificate(withProof.toByteString());
    assertThat(s.certificate()).isEqualTo(withProof.getCertificate());
    assertThat(s.header()).isEqualTo(withProof.getBlock().getHeader());
  }

  @Test
  void theClientsStatementAndCheckAgreeWithConsensus() {
    Statements statements = new Statements(tc.chain());
    Hash hash = Hash.sha256(ByteString.copyFromUtf8("block"));
    assertThat(Finality.commitStatement(TestChain.CHAIN_ID, 7, 42, hash.bytes()))
        .isEqualTo(statements.commit(7, 42, hash.bytes()));
    CommitCertificate good = tc.certificate(42, hash, true);
    List<CommitCertificate> certs = List.of(good, tc.certificate(42, hash, false),
        good.toBuilder().removeSignatures(0).build(),
        good.toBuilder().setSignatures(0, good.getSignatures(1)).build(),
        good.toBuilder().setView(1).build(),
        good.toBuilder().addSignatures(good.getSignatures(0)).build(),
        good.toBuilder().addSignatures(good.getSignatures(0)).addSignatures(good.getSignatures(1)).build());
    for (CommitCertificate c : certs) {
      assertThat(finality.checkCertificate(c, 42, hash).isEmpty()).as(c.toString())
          .isEqualTo(statements.verifyCommit(c, 42, hash));
    }
    assertThat(finality.checkCertificate(good, 42, hash)).isEmpty();
  }
}
