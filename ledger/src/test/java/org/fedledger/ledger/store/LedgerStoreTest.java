package org.fedledger.ledger.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.StateView;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerStoreTest {
  @TempDir Path dir;

  private LedgerStore open() {
    return LedgerStore.open(dir, ChainDriver.CHAIN.genesisHash(), Durability.SYNC);
  }

  @Test
  void commitsAndReadsBack() throws Exception {
    ChainDriver driver = new ChainDriver();
    try (LedgerStore store = open()) {
      assertThat(store.head()).isEmpty();
      assertThat(store.stateRoot()).isEqualTo(new LtHash().root());
      ChainDriver.commitGenesis(store, Durability.SYNC);
      CertifiedBlock last = null;
      for (int i = 0; i < 6; i++) {
        last = driver.commitNext(store, Durability.SYNC);
      }
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(6);
      Block b = last.getBlock();
      assertThat(store.block(6)).contains(last);
      assertThat(store.blockBytes(6)).contains(last.toByteString());
      assertThat(store.head()).contains(new ChainHead(6, Blocks.hash(b), ChainDriver.CHAIN.genesis().getGenesisTimeMillis() + 60));
      assertThat(store.heightOf(Blocks.hash(b))).contains(6L);
      assertThat(store.heightOf(Hash.ZERO)).isEmpty();

      // block 6 holds 1 + 6 % 6 = 1 transaction plus the replay (6 % 3 == 0)
      assertThat(b.getTransactionsCount()).isEqualTo(2);
      Hash first = Blocks.txId(b.getTransactions(0));
      assertThat(store.txLocation(first)).contains(new TxLocation(6, 0));
      Receipt ok = store.receipt(first).orElseThrow();
      assertThat(ok.getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
      Receipt replay = store.receipt(6, 1).orElseThrow();
      assertThat(replay.getCode()).isEqualTo("NONCE_REPLAYED");
      assertThat(store.receipts(6)).containsExactly(ok, replay);
      assertThat(store.receipt(Hash.ZERO)).isEmpty();
      assertThat(store.endEvents(6)).isEmpty();

      // state: the participants the blocks registered are there, via the live view and a snapshot
      ByteString key = TestLedger.key(1000 + (int) ((6 * 7) % ChainDriver.POOL)).publicKey();
      assertThat(Registry.participant(store.state(), key)).isPresent();
      try (StateSnapshot snap = store.snapshot()) {
        assertThat(snap.height()).isEqualTo(6);
        assertThat(snap.scan(Registry.PARTICIPANT_PREFIX)).isEqualTo(store.state().scan(Registry.PARTICIPANT_PREFIX));
        List<Map.Entry<ByteString, ByteString>> before = snap.scan(ByteString.EMPTY);
        driver.commitNext(store, Durability.SYNC);
        assertThat(snap.scan(ByteString.EMPTY)).as("a snapshot does not see later blocks").isEqualTo(before);
        assertThat(store.state().scan(ByteString.EMPTY)).isNotEqualTo(before);
      }
    }
  }

  @Test
  void reopenKeepsHeadLatticeAndRoot() throws Exception {
    ChainDriver driver = new ChainDriver();
    ChainHead head;
    LtHash lattice;
    Hash root;
    try (LedgerStore store = open()) {
      ChainDriver.commitGenesis(store, Durability.GROUP);
      for (int i = 0; i < 5; i++) {
        driver.commitNext(store, Durability.GROUP);
      }
      store.sync();
      head = store.head().orElseThrow();
      lattice = store.lattice();
      root = store.stateRoot();
    }
    try (LedgerStore store = open()) {
      assertThat(store.head()).contains(head);
      assertThat(store.lattice()).isEqualTo(lattice);
      assertThat(store.stateRoot()).isEqualTo(root);
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(5);
      driver.commitNext(store, Durability.SYNC);
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(6);
    }
  }

  @Test
  void refusesAnotherGenesis() {
    try (LedgerStore store = open()) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
    }
    Hash other = Hash.sha256(ByteString.copyFromUtf8("another chain"));
    assertThatThrownBy(() -> LedgerStore.open(dir, other, Durability.SYNC)).isInstanceOf(StoreException.class)
        .hasMessageContaining(dir.toString()).hasMessageContaining("was made for genesis " + ChainDriver.CHAIN.genesisHash().hex())
        .hasMessageContaining(other.hex());
    try (LedgerStore store = open()) {
      assertThat(store.head().orElseThrow().height()).isZero();
    }
  }

  @Test
  void aBlockThatDoesNotExtendTheHeadChangesNothing() throws Exception {
    ChainDriver driver = new ChainDriver();
    try (LedgerStore store = open()) {
      CertifiedBlock genesisLater;
      ChainDriver.commitGenesis(store, Durability.SYNC);
      genesisLater = store.block(0).orElseThrow();
      driver.commitNext(store, Durability.SYNC);
      driver.commitNext(store, Durability.SYNC);
      ChainHead head = store.head().orElseThrow();
      Hash root = store.stateRoot();
      List<Map.Entry<ByteString, ByteString>> state = store.state().scan(ByteString.EMPTY);
      BlockResult empty = new BlockResult(List.of(), List.of(), new java.util.TreeMap<>(ByteString.unsignedLexicographicalComparator()),
          store.lattice(), root);

      // a gap, a fork (wrong previous hash), a replay of genesis, and a receipt count mismatch
      Block gap = Blocks.build(ChainDriver.CHAIN, new ChainHead(3, head.hash(), head.timestampMillis()), List.of(), root, 2, 0, 0, head.timestampMillis());
      assertThatThrownBy(() -> store.commitBlock(cb(gap), empty)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("block 4 does not follow head 2");
      Block fork = Blocks.build(ChainDriver.CHAIN, new ChainHead(2, Hash.ZERO, head.timestampMillis()), List.of(), root, 2, 0, 0, head.timestampMillis());
      assertThatThrownBy(() -> store.commitBlock(cb(fork), empty)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("does not link to head");
      assertThatThrownBy(() -> store.commitBlock(genesisLater, empty)).isInstanceOf(IllegalStateException.class);
      Block next = Blocks.build(ChainDriver.CHAIN, head, ChainDriver.transactions(store, 3), root, 2, 0, 0, head.timestampMillis());
      assertThatThrownBy(() -> store.commitBlock(cb(next), empty)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("receipts for");
      assertThatThrownBy(() -> store.commitBlock(cb(Block.newBuilder().setHeader(ByteString.copyFromUtf8("\u00ff")).build()), empty))
          .isInstanceOf(IllegalArgumentException.class);

      assertThat(store.head()).contains(head);
      assertThat(store.stateRoot()).isEqualTo(root);
      assertThat(store.state().scan(ByteString.EMPTY)).isEqualTo(state);
      assertThat(store.block(3)).isEmpty();
      assertThat(store.block(4)).isEmpty();
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(2);
    }
  }

  @Test
  void anEmptyStoreTakesOnlyGenesis() {
    try (LedgerStore store = open()) {
      Block one = Blocks.build(ChainDriver.CHAIN, new ChainHead(0, Hash.ZERO, 0), List.of(), Hash.ZERO, 0, 0, 0, 1);
      BlockResult empty = new BlockResult(List.of(), List.of(), new java.util.TreeMap<>(ByteString.unsignedLexicographicalComparator()),
          new LtHash(), new LtHash().root());
      assertThatThrownBy(() -> store.commitBlock(cb(one), empty)).hasMessageContaining("must first commit the genesis block");
      assertThat(store.head()).isEmpty();
    }
  }

  @Test
  void aCorruptHeadRecordIsAClearError() throws Exception {
    try (LedgerStore store = open()) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
    }
    editMeta((db, meta) -> db.delete(meta, Codec.concat(bytes("root/"), Codec.height(0))));
    assertThatThrownBy(this::open).isInstanceOf(StoreException.class)
        .hasMessageContaining(dir.toString()).hasMessageContaining("corrupt");
  }

  @Test
  void aLatticeRecordOfTheWrongLengthIsAClearError() throws Exception {
    try (LedgerStore store = open()) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
    }
    editMeta((db, meta) -> db.put(meta, bytes("lattice"), new byte[100]));
    assertThatThrownBy(this::open).isInstanceOf(StoreException.class)
        .hasMessageContaining(dir.toString()).hasMessageContaining("corrupt");
  }

  /** Commits genesis and {@code driver}'s next block to a new store, closes it and returns its lattice. */
  private LtHash genesisAndOneBlockCommitted(ChainDriver driver) {
    try (LedgerStore store = open()) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      driver.commitNext(store, Durability.SYNC);
      return store.lattice();
    }
  }

  @Test
  void aMissingLatticeIsRebuiltFromTheState() throws Exception {
    ChainDriver driver = new ChainDriver();
    LtHash lattice = genesisAndOneBlockCommitted(driver);
    editMeta((db, meta) -> db.delete(meta, bytes("lattice")));
    try (LedgerStore store = open()) {
      assertThat(store.lattice()).isEqualTo(lattice);
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(1);
    }
  }

  @Test
  void aLatticeInTheFormatBeforeBatchedCommitsIsTakenAndTagged() throws Exception {
    ChainDriver driver = new ChainDriver();
    LtHash lattice = genesisAndOneBlockCommitted(driver);
    // the format before: the bare lattice, rewritten with every block (so always the head's)
    editMeta((db, meta) -> db.put(meta, bytes("lattice"), lattice.toBytes().toByteArray()));
    try (LedgerStore store = open()) {
      assertThat(store.lattice()).isEqualTo(lattice);
      driver.commitNext(store, Durability.SYNC);
    }
    // a crash after that block leaves the tagged lattice of block 1: it must not pass for block 2's
    try (LedgerStore store = open()) {
      assertThat(StoreChecks.checkConsistent(store)).isEqualTo(2);
    }
    editMeta((db, meta) -> {
      byte[] tagged = db.get(meta, bytes("lattice"));
      assertThat(tagged).hasSize(8 + Hash.LENGTH + LtHash.BYTES);
      assertThat(java.nio.ByteBuffer.wrap(tagged).getLong()).isEqualTo(2);
      tagged[7] = 1; // the lattice of block 2, tagged as block 1's: stale
      db.put(meta, bytes("lattice"), tagged);
    });
    try (LedgerStore store = open()) {
      assertThat(StoreChecks.checkConsistent(store)).as("rebuilt, not taken").isEqualTo(2);
    }
  }

  /** An edit of the {@code meta} column family of the closed store in {@link #dir}. */
  @FunctionalInterface
  private interface MetaEdit {
    void apply(org.rocksdb.RocksDB db, org.rocksdb.ColumnFamilyHandle meta) throws Exception;
  }

  private void editMeta(MetaEdit edit) throws Exception {
    List<byte[]> names = org.rocksdb.RocksDB.listColumnFamilies(new org.rocksdb.Options(), dir.toString());
    List<org.rocksdb.ColumnFamilyDescriptor> descriptors = new java.util.ArrayList<>();
    for (byte[] n : names) {
      descriptors.add(new org.rocksdb.ColumnFamilyDescriptor(n));
    }
    List<org.rocksdb.ColumnFamilyHandle> handles = new java.util.ArrayList<>();
    try (org.rocksdb.DBOptions o = new org.rocksdb.DBOptions();
        org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(o, dir.toString(), descriptors, handles)) {
      try {
        for (int i = 0; i < names.size(); i++) {
          if (new String(names.get(i), java.nio.charset.StandardCharsets.UTF_8).equals("meta")) {
            edit.apply(db, handles.get(i));
          }
        }
      } finally {
        handles.forEach(org.rocksdb.ColumnFamilyHandle::close);
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void aClosedStoreSaysSoInsteadOfTouchingFreedNativeMemory() {
    LedgerStore store = open();
    ChainDriver.commitGenesis(store, Durability.SYNC);
    StateView state = store.state();
    ConsensusLog log = store.consensusLog();
    StateSnapshot snap = store.snapshot();
    store.close();
    store.close();
    assertThatThrownBy(() -> snap.get(ByteString.copyFromUtf8("k"))).isInstanceOf(IllegalStateException.class);
    snap.close();
    snap.close();
    ByteString k = ByteString.copyFromUtf8("k");
    assertThatThrownBy(store::sync).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    assertThatThrownBy(() -> store.block(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    assertThatThrownBy(() -> store.receipts(0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.stateRootAt(0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> state.get(k)).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    assertThatThrownBy(() -> state.scan(k)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> log.get(k)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> log.put(k, k, Durability.SYNC)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theConsensusLogKeepsItsEntriesAcrossReopen() {
    ByteString a = ByteString.copyFromUtf8("vote/1");
    ByteString b = ByteString.copyFromUtf8("vote/2");
    ByteString c = ByteString.copyFromUtf8("vote/3");
    ByteString v = ByteString.copyFromUtf8("v");
    try (LedgerStore store = open()) {
      ConsensusLog log = store.consensusLog();
      assertThat(log.get(a)).isEmpty();
      log.put(a, v, Durability.SYNC);
      log.write(java.util.Map.of(b, java.util.Optional.of(v), c, java.util.Optional.of(v)), Durability.GROUP);
      log.delete(c, Durability.SYNC);
      assertThat(log.scan(ByteString.copyFromUtf8("vote/"))).extracting(java.util.Map.Entry::getKey).containsExactly(a, b);
    }
    try (LedgerStore store = open()) {
      ConsensusLog log = store.consensusLog();
      assertThat(log.get(b)).contains(v);
      log.deleteRange(a, c, Durability.SYNC);
      assertThat(log.scan(ByteString.EMPTY)).isEmpty();
      assertThat(store.head()).as("the consensus log is not the chain").isEmpty();
    }
  }


  private static CertifiedBlock cb(Block b) {
    return CertifiedBlock.newBuilder().setBlock(b).build();
  }
}
