package org.fedledger.node.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.node.TestChain;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.ReceiptStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BlockCommitter#commitAll}: the blocks of one event-loop batch, each executed over the
 * state the ones before it left, stored in one write, give the same blocks, receipts and state
 * roots as committing them one at a time, and reopen at the batch's head.
 */
class BlockCommitterTest {
  @TempDir Path dir;

  private final TestChain tc = TestChain.of(4, 1);

  @Test
  void aBatchOfDependentBlocksCommitsAsOneByOne() throws Exception {
    // Block 2 registers participant 1 again (refused: it exists since block 1) and reuses nonce 2
    // (refused: block 1 used it); block 3 registers a new participant. Executed over the head
    // state alone instead of block 1's and 2's writes, they would succeed and the roots differ.
    List<List<Envelope>> txsPerBlock = List.of(
        List.of(tc.register(1, 1), tc.register(2, 2)),
        List.of(tc.register(1, 3), tc.register(3, 2)),
        List.of(tc.register(4, 4)),
        List.of());
    List<BlockCommitter.Pending> blocks = new ArrayList<>();
    List<BlockCommitter.Committed> oneByOne = new ArrayList<>();
    try (LedgerStore single = LedgerStore.open(dir.resolve("single"), tc.chain().genesisHash(), Durability.GROUP)) {
      GenesisCommit.ensureGenesis(single, tc.chain());
      BlockCommitter committer = new BlockCommitter(tc.chain(), single, Durability.GROUP);
      for (List<Envelope> envs : txsPerBlock) {
        BlockCommitter.Pending p = next(single, envs);
        blocks.add(p);
        oneByOne.add(committer.commit(p.block(), p.txs()));
      }
      assertThat(single.receipts(2)).extracting(r -> r.getStatus()).containsExactly(ReceiptStatus.REJECTED,
          ReceiptStatus.REJECTED);
      assertThat(single.receipts(3)).extracting(r -> r.getStatus()).containsExactly(ReceiptStatus.SUCCESS);
    }

    ChainHead head;
    Path batched = dir.resolve("batched");
    try (LedgerStore store = LedgerStore.open(batched, tc.chain().genesisHash(), Durability.SYNC)) {
      GenesisCommit.ensureGenesis(store, tc.chain());
      // with sync_commits: the batch's one write is fsynced
      List<BlockCommitter.Committed> done = new BlockCommitter(tc.chain(), store, Durability.SYNC).commitAll(blocks);
      assertThat(done).hasSize(4);
      for (int i = 0; i < done.size(); i++) {
        assertThat(done.get(i).height()).isEqualTo(i + 1);
        assertThat(done.get(i).blockHash()).isEqualTo(oneByOne.get(i).blockHash());
        assertThat(done.get(i).stateRoot()).isEqualTo(oneByOne.get(i).stateRoot());
        assertThat(done.get(i).result().receipts()).isEqualTo(oneByOne.get(i).result().receipts());
      }
      head = store.head().orElseThrow();
      assertThat(head.height()).isEqualTo(4);
      assertThat(store.stateRoot()).isEqualTo(oneByOne.get(3).stateRoot());
    }
    try (LedgerStore store = LedgerStore.open(batched, tc.chain().genesisHash(), Durability.SYNC);
        LedgerStore single = LedgerStore.open(dir.resolve("single"), tc.chain().genesisHash(), Durability.GROUP)) {
      assertThat(store.head()).contains(head).isEqualTo(single.head());
      assertThat(store.lattice()).isEqualTo(single.lattice());
      for (long h = 0; h <= 4; h++) {
        assertThat(store.block(h)).isEqualTo(single.block(h));
        assertThat(store.stateRootAt(h)).isPresent().isEqualTo(single.stateRootAt(h));
        assertThat(store.receipts(h)).isEqualTo(single.receipts(h));
      }
      assertThat(store.stateRootAt(5)).isEmpty();
      for (List<Envelope> envs : txsPerBlock) {
        for (Envelope e : envs) {
          Hash id = Blocks.txId(e);
          assertThat(store.txLocation(id)).isEqualTo(single.txLocation(id));
        }
      }
    }
  }

  @Test
  void anEmptyBatchWritesNothing() {
    try (LedgerStore store = LedgerStore.open(dir, tc.chain().genesisHash(), Durability.GROUP)) {
      ChainHead genesis = GenesisCommit.ensureGenesis(store, tc.chain());
      assertThat(new BlockCommitter(tc.chain(), store, Durability.GROUP).commitAll(List.of())).isEmpty();
      assertThat(store.head()).contains(genesis);
    }
  }

  /** The certified block after {@code store}'s head holding {@code envs}. */
  private BlockCommitter.Pending next(LedgerStore store, List<Envelope> envs) {
    List<ParsedTx> txs = new ArrayList<>();
    for (Envelope e : envs) {
      txs.add(((TxCheck.Valid) new TxValidator(tc.chain()).check(e)).tx());
    }
    ChainHead head = store.head().orElseThrow();
    Block b = Blocks.build(tc.chain(), head, txs, store.stateRoot(), head.height(), 0, 0, head.timestampMillis() + 1);
    CertifiedBlock cb = CertifiedBlock.newBuilder().setBlock(b)
        .setCertificate(tc.certificate(head.height() + 1, Blocks.hash(b), head.height() % 2 == 0)).build();
    return new BlockCommitter.Pending(cb, txs);
  }
}
