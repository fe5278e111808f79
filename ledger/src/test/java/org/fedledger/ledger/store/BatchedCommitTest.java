package org.fedledger.ledger.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.exec.WriteBuffer;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LedgerStore#commitBlocks}: several blocks in one write, reopened after a close or a crash. */
class BatchedCommitTest {
  @TempDir Path dir;
  @TempDir Path crashCopy;

  private LedgerStore open(Path at) {
    return LedgerStore.open(at, ChainDriver.CHAIN.genesisHash(), Durability.GROUP);
  }

  @Test
  void blocksCommittedInBatchesReadBackAsIfOneByOne() throws Exception {
    Map<Long, Hash> roots = new TreeMap<>();
    Map<Long, List<Receipt>> receipts = new TreeMap<>();
    ChainHead head;
    LtHash lattice;
    try (LedgerStore store = open(dir)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      ChainDriver driver = new ChainDriver();
      int[] sizes = {3, 1, 5, 2};
      Durability[] durabilities = {Durability.GROUP, Durability.SYNC, Durability.GROUP, Durability.SYNC};
      for (int i = 0; i < sizes.length; i++) {
        for (LedgerStore.BlockCommit c : driver.commitBatch(store, sizes[i], durabilities[i])) {
          long h = height(c);
          roots.put(h, c.result().stateRoot());
          receipts.put(h, c.result().receipts());
        }
      }
      assertThat(roots.keySet()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
      head = store.head().orElseThrow();
      lattice = store.lattice();
      assertThat(head.height()).isEqualTo(11);
      assertThat(store.stateRoot()).isEqualTo(roots.get(11L)).isEqualTo(lattice.root());
      checkEveryHeight(store, roots, receipts);

      // The same chain committed one block at a time gives the same blocks and roots.
      Path other = Files.createTempDirectory(crashCopy, "one-by-one");
      try (LedgerStore single = open(other)) {
        ChainDriver.commitGenesis(single, Durability.SYNC);
        ChainDriver oneByOne = new ChainDriver();
        for (int i = 0; i < 11; i++) {
          oneByOne.commitNext(single, Durability.GROUP);
        }
        assertThat(single.head()).contains(head);
        for (long h = 0; h <= 11; h++) {
          assertThat(single.block(h)).isEqualTo(store.block(h));
          assertThat(single.stateRootAt(h)).isEqualTo(store.stateRootAt(h));
          assertThat(single.receipts(h)).isEqualTo(store.receipts(h));
        }
      }
    }
    try (LedgerStore store = open(dir)) {
      assertThat(store.head()).contains(head);
      assertThat(store.lattice()).isEqualTo(lattice);
      checkEveryHeight(store, roots, receipts);
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(11);
    }
  }

  @Test
  void afterACrashTheStoreReopensAtTheLastBatchAndRebuildsTheLattice() throws Exception {
    ChainDriver driver = new ChainDriver();
    try (LedgerStore store = open(dir)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      driver.commitBatch(store, 4, Durability.GROUP);
    }
    try (LedgerStore store = open(dir)) {
      driver.commitBatch(store, 3, Durability.GROUP);
      driver.commitBatch(store, 2, Durability.SYNC);
      ChainHead head = store.head().orElseThrow();
      LtHash lattice = store.lattice();
      // A copy of the open store's files is what a kill -9 now leaves: the write-ahead log holds
      // the batches since the lattice was last written (at the close above, at height 4).
      copyTree(dir, crashCopy);
      try (LedgerStore crashed = open(crashCopy)) {
        assertThat(crashed.head()).contains(head);
        assertThat(crashed.lattice()).isEqualTo(lattice);
        assertThat(StoreChecks.checkConsistent(crashed)).isEqualTo(9);
        driver.commitBatch(crashed, 2, Durability.GROUP);
        assertThat(StoreChecks.checkConsistent(crashed)).isEqualTo(11);
      }
    }
  }

  @Test
  void aBatchThatBreaksTheChainAnywhereWritesNothing() throws Exception {
    try (LedgerStore store = open(dir)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      ChainDriver driver = new ChainDriver();
      driver.commitBatch(store, 2, Durability.GROUP);
      ChainHead head = store.head().orElseThrow();
      Hash root = store.stateRoot();
      List<Map.Entry<ByteString, ByteString>> state = store.state().scan(ByteString.EMPTY);

      // Build three valid blocks after the head elsewhere, then hand the store broken batches of them.
      Path other = Files.createTempDirectory(crashCopy, "source");
      List<LedgerStore.BlockCommit> three;
      try (LedgerStore source = open(other)) {
        ChainDriver.commitGenesis(source, Durability.SYNC);
        ChainDriver sourceDriver = new ChainDriver();
        sourceDriver.commitBatch(source, 2, Durability.GROUP);
        three = sourceDriver.commitBatch(source, 3, Durability.GROUP);
      }
      List<LedgerStore.BlockCommit> gap = List.of(three.get(0), three.get(2));
      assertThatThrownBy(() -> store.commitBlocks(gap, Durability.SYNC)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("block 5 does not follow head 3");
      LedgerStore.BlockCommit badReceipts = new LedgerStore.BlockCommit(three.get(1).block(), new BlockResult(List.of(),
          List.of(), three.get(1).result().writes(), three.get(1).result().lattice(), three.get(1).result().stateRoot()));
      assertThatThrownBy(() -> store.commitBlocks(List.of(three.get(0), badReceipts), Durability.SYNC))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("receipts for");
      BlockResult r1 = three.get(1).result();
      List<Receipt> shortIds = new ArrayList<>();
      for (Receipt r : r1.receipts()) {
        shortIds.add(r.toBuilder().setTxId(r.getTxId().substring(0, 4)).build());
      }
      LedgerStore.BlockCommit shortId = new LedgerStore.BlockCommit(three.get(1).block(),
          new BlockResult(shortIds, r1.endEvents(), r1.writes(), r1.lattice(), r1.stateRoot()));
      assertThatThrownBy(() -> store.commitBlocks(List.of(three.get(0), shortId), Durability.SYNC))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4-byte transaction id");
      List<LedgerStore.BlockCommit> twice = List.of(three.get(0), three.get(0));
      assertThatThrownBy(() -> store.commitBlocks(twice, Durability.SYNC)).isInstanceOf(IllegalStateException.class);
      store.commitBlocks(List.of(), Durability.SYNC);

      assertThat(store.head()).contains(head);
      assertThat(store.stateRoot()).isEqualTo(root);
      assertThat(store.state().scan(ByteString.EMPTY)).isEqualTo(state);
      assertThat(store.block(3)).isEmpty();
      assertThat(store.stateRootAt(3)).isEmpty();
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(2);

      store.commitBlocks(three, Durability.SYNC);
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(5);
      assertThat(store.stateRootAt(4)).contains(three.get(1).result().stateRoot());
    }
  }

  @Test
  void consensusRecordsWrittenWithABatchSurviveACrashWithItAndNeverWithoutIt() throws Exception {
    ByteString vote = ByteString.copyFromUtf8("vote/7");
    ByteString stale = ByteString.copyFromUtf8("vote/6");
    try (LedgerStore store = open(dir)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      ChainDriver driver = new ChainDriver();
      store.consensusLog().put(stale, ByteString.copyFromUtf8("old"), Durability.GROUP);
      driver.commitBatch(store, 2, Map.of(vote, java.util.Optional.of(ByteString.copyFromUtf8("v")),
          stale, java.util.Optional.empty()), Durability.GROUP);
      assertThat(store.consensusLog().get(vote)).contains(ByteString.copyFromUtf8("v"));
      assertThat(store.consensusLog().get(stale)).isEmpty();
      // No blocks: only the records are written.
      store.commitBlocks(List.of(), Map.of(stale, java.util.Optional.of(ByteString.copyFromUtf8("alone"))),
          Durability.GROUP);
      assertThat(store.consensusLog().get(stale)).contains(ByteString.copyFromUtf8("alone"));
      assertThat(store.head().orElseThrow().height()).isEqualTo(2);

      // A batch refused for breaking the chain writes none of its records either.
      List<LedgerStore.BlockCommit> next;
      Path other = Files.createTempDirectory(crashCopy, "source");
      try (LedgerStore source = open(other)) {
        ChainDriver.commitGenesis(source, Durability.SYNC);
        ChainDriver sourceDriver = new ChainDriver();
        sourceDriver.commitBatch(source, 2, Durability.GROUP);
        next = sourceDriver.commitBatch(source, 2, Durability.GROUP);
      }
      ByteString refused = ByteString.copyFromUtf8("vote/refused");
      assertThatThrownBy(() -> store.commitBlocks(List.of(next.get(1)),
          Map.of(refused, java.util.Optional.of(ByteString.copyFromUtf8("x"))), Durability.SYNC))
          .isInstanceOf(IllegalStateException.class);
      assertThat(store.consensusLog().get(refused)).isEmpty();

      store.commitBlocks(next, Map.of(vote, java.util.Optional.of(ByteString.copyFromUtf8("w"))), Durability.GROUP);
      ChainHead head = store.head().orElseThrow();
      // What a kill -9 now leaves: the blocks and the records of each write together.
      copyTree(dir, crashCopy.resolve("crash"));
      try (LedgerStore crashed = open(crashCopy.resolve("crash"))) {
        assertThat(crashed.head()).contains(head);
        assertThat(StoreChecks.checkConsistent(crashed)).isEqualTo(4);
        assertThat(crashed.consensusLog().get(vote)).contains(ByteString.copyFromUtf8("w"));
        assertThat(crashed.consensusLog().get(stale)).contains(ByteString.copyFromUtf8("alone"));
        assertThat(crashed.consensusLog().get(refused)).isEmpty();
      }
    }
  }

  @Test
  void hashIndexesFindEveryBlockAndTransactionFromTheMemtableAndAfterReopenFromFiles() throws Exception {
    Map<Hash, Long> blockHeights = new java.util.HashMap<>();
    Map<ByteString, TxLocation> firstSeen = new java.util.HashMap<>();
    try (LedgerStore store = open(dir)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      ChainDriver driver = new ChainDriver();
      for (int i = 0; i < 60; i++) {
        for (LedgerStore.BlockCommit c : driver.commitBatch(store, 1 + i % 3, Durability.GROUP)) {
          long h = height(c);
          blockHeights.put(Blocks.hash(c.block().getBlock()), h);
          for (Receipt r : c.result().receipts()) {
            firstSeen.putIfAbsent(r.getTxId(), new TxLocation(h, r.getIndex()));
          }
        }
      }
      checkIndexes(store, blockHeights, firstSeen);
    }
    // Reopening replays the write-ahead log and flushes it to table files: read from those now.
    try (LedgerStore store = open(dir)) {
      checkIndexes(store, blockHeights, firstSeen);
    }
  }

  private static void checkIndexes(LedgerStore store, Map<Hash, Long> blockHeights,
      Map<ByteString, TxLocation> firstSeen) {
    assertThat(blockHeights).hasSize(120);
    blockHeights.forEach((hash, h) -> assertThat(store.heightOf(hash)).as("block %d", h).contains(h));
    firstSeen.forEach((id, at) -> assertThat(store.txLocation(Hash.of(id))).as("tx at %s", at).contains(at));
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    for (int i = 0; i < 200; i++) {
      byte[] absent = new byte[Hash.LENGTH];
      random.nextBytes(absent);
      assertThat(store.heightOf(Hash.of(absent))).isEmpty();
      assertThat(store.txLocation(Hash.of(absent))).isEmpty();
    }
    // A key sharing its first 8 bytes (its memtable bucket) with an indexed one is still absent.
    Hash some = blockHeights.keySet().stream().min(java.util.Comparator.comparing(Hash::hex)).orElseThrow();
    byte[] near = some.toByteArray();
    near[Hash.LENGTH - 1] ^= 1;
    assertThat(store.heightOf(Hash.of(near))).isEmpty();
  }

  @Test
  void aTransactionCommittedAgainKeepsTheLocationOfItsFirstOccurrence() throws Exception {
    try (LedgerStore store = open(dir)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      new ChainDriver().commitBatch(store, 2, Durability.GROUP);
      List<ParsedTx> second = parsed(store.block(2).orElseThrow().getBlock());
      // One batch: block 3 repeats block 2's transactions, block 4 brings new ones, block 5 repeats those.
      List<ParsedTx> fresh = ChainDriver.transactions(store, 4);
      WriteBuffer state = new WriteBuffer(store.state());
      LtHash lattice = store.lattice();
      ChainHead head = store.head().orElseThrow();
      Hash root = store.stateRoot();
      Executor executor = new Executor(List.of(new RegistryContract()), ChainDriver.CHAIN.nonceWindow());
      List<LedgerStore.BlockCommit> batch = new ArrayList<>();
      for (List<ParsedTx> txs : List.of(second, fresh, fresh)) {
        long h = head.height() + 1;
        Block block = Blocks.build(ChainDriver.CHAIN, head, txs, root, head.height(), 0, 0, head.timestampMillis() + 1);
        Hash hash = Blocks.hash(block);
        BlockResult result = executor.execute(new BlockContext(ChainDriver.CHAIN.chainId(), h, head.timestampMillis() + 1,
            hash), txs, state, lattice);
        result.writes().forEach((k, v) -> {
          if (v == null) {
            state.delete(k);
          } else {
            state.put(k, v);
          }
        });
        batch.add(new LedgerStore.BlockCommit(CertifiedBlock.newBuilder().setBlock(block).build(), result));
        head = new ChainHead(h, hash, head.timestampMillis() + 1);
        lattice = result.lattice();
        root = result.stateRoot();
      }
      store.commitBlocks(batch, Durability.GROUP);

      assertThat(store.receipts(3)).extracting(Receipt::getCode).containsOnly(Executor.NONCE_REPLAYED);
      assertThat(store.receipts(4)).extracting(Receipt::getStatus).containsOnly(ReceiptStatus.SUCCESS);
      assertThat(store.receipts(5)).extracting(Receipt::getCode).containsOnly(Executor.NONCE_REPLAYED);
      for (int i = 0; i < second.size(); i++) {
        assertThat(store.txLocation(second.get(i).id())).contains(new TxLocation(2, i));
      }
      for (int i = 0; i < fresh.size(); i++) {
        assertThat(store.txLocation(fresh.get(i).id())).contains(new TxLocation(4, i));
        assertThat(store.receipt(fresh.get(i).id()).orElseThrow().getHeight()).isEqualTo(4);
      }
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(5);
    }
  }

  private static List<ParsedTx> parsed(Block block) throws Exception {
    List<ParsedTx> out = new ArrayList<>();
    for (Envelope e : block.getTransactionsList()) {
      out.add(new ParsedTx(Blocks.txId(e), e, Transaction.parseFrom(e.getBody())));
    }
    return out;
  }

  private static void checkEveryHeight(LedgerStore store, Map<Long, Hash> roots, Map<Long, List<Receipt>> receipts) {
    for (Map.Entry<Long, Hash> e : roots.entrySet()) {
      long h = e.getKey();
      assertThat(store.stateRootAt(h)).as("root after block %d", h).contains(e.getValue());
      assertThat(store.receipts(h)).as("receipts of block %d", h).isEqualTo(receipts.get(h));
      Hash hash = Blocks.hash(store.block(h).orElseThrow().getBlock());
      assertThat(store.heightOf(hash)).contains(h);
      for (Receipt r : receipts.get(h)) {
        assertThat(store.receipt(Hash.of(r.getTxId()))).as("first occurrence of a transaction of %d", h).isPresent();
      }
    }
    long head = store.head().orElseThrow().height();
    assertThat(store.stateRootAt(head + 1)).isEmpty();
  }

  private static long height(LedgerStore.BlockCommit c) {
    try {
      return org.fedledger.proto.BlockHeader.parseFrom(c.block().getBlock().getHeader()).getHeight();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(from)) {
      s.forEach(files::add);
    }
    for (Path p : files) {
      Path target = to.resolve(from.relativize(p).toString());
      if (Files.isDirectory(p)) {
        Files.createDirectories(target);
      } else {
        Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
