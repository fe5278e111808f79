package org.fedledger.ledger.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.proto.CertifiedBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.ConfigOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.OptionsUtil;
import org.rocksdb.RocksDB;

/** The per-family RocksDB options of {@link StoreOptions}: in effect, and compatible both ways. */
class StoreOptionsTest {
  @TempDir Path dir;

  private LedgerStore open() {
    return LedgerStore.open(dir, ChainDriver.CHAIN.genesisHash(), Durability.SYNC);
  }

  @Test
  void eachFamilyRunsWithItsOwnMemtableAndCompression() throws Exception {
    open().close();
    Map<String, ColumnFamilyOptions> loaded = new LinkedHashMap<>();
    try (ConfigOptions config = new ConfigOptions(); DBOptions db = new DBOptions()) {
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      OptionsUtil.loadLatestOptions(config, dir.toString(), db, descriptors);
      for (ColumnFamilyDescriptor d : descriptors) {
        loaded.put(new String(d.getName(), StandardCharsets.UTF_8), d.getOptions());
      }
      assertThat(db.allowConcurrentMemtableWrite()).as("the hash and vector memtables need one writer").isFalse();
      assertThat(db.walRecoveryMode()).isEqualTo(org.rocksdb.WALRecoveryMode.PointInTimeRecovery);
    }
    assertThat(loaded.keySet()).containsExactly("default", "blocks", "block_hash", "tx_index", "receipts", "state",
        "consensus", "meta");
    assertThat(loaded.get("consensus").memTableFactoryName()).isEqualTo("VectorRepFactory");
    assertThat(loaded.get("consensus").compressionType()).isEqualTo(CompressionType.NO_COMPRESSION);
    for (String hashKeyed : List.of("block_hash", "tx_index")) {
      assertThat(loaded.get(hashKeyed).memTableFactoryName()).as(hashKeyed).isEqualTo("HashLinkedListRepFactory");
      assertThat(loaded.get(hashKeyed).compressionType()).as(hashKeyed).isEqualTo(CompressionType.NO_COMPRESSION);
    }
    for (String ordered : List.of("blocks", "receipts", "state", "meta")) {
      assertThat(loaded.get(ordered).memTableFactoryName()).as(ordered).isEqualTo("SkipListFactory");
      assertThat(loaded.get(ordered).compressionType()).as(ordered).isEqualTo(CompressionType.LZ4_COMPRESSION);
    }
    assertThat(loaded.get("blocks").writeBufferSize()).as("RocksDB's default").isEqualTo(64L << 20);
    loaded.values().forEach(ColumnFamilyOptions::close);
  }

  /**
   * The consensus family's vector memtable is unsorted: scans and reads must still see keys in
   * order, the newest value of a key, and no deleted key, from the memtable, after a crash (the
   * memtable rebuilt from the write-ahead log) and from SST files.
   */
  @Test
  void theConsensusLogReadsInKeyOrderWhateverOrderItWasWrittenIn() {
    Map<String, String> expected = new java.util.TreeMap<>();
    try (LedgerStore store = open()) {
      ConsensusLog log = store.consensusLog();
      for (int round = 0; round < 3; round++) {
        Map<ByteString, Optional<ByteString>> changes = new LinkedHashMap<>();
        for (int i = 40; i >= 0; i--) { // descending keys, rewritten each round
          String k = String.format("pbft/slot/%03d", i);
          if (i % 7 == round) {
            changes.put(bytes(k), Optional.empty());
            expected.remove(k);
          } else {
            changes.put(bytes(k), Optional.of(bytes("v" + round + "-" + i)));
            expected.put(k, "v" + round + "-" + i);
          }
        }
        log.write(changes, round == 1 ? Durability.SYNC : Durability.GROUP);
        assertThat(asStrings(log.scan(bytes("pbft/")))).isEqualTo(expected);
      }
      assertThat(log.get(bytes("pbft/slot/003"))).contains(bytes("v2-3"));
      assertThat(log.get(bytes("pbft/slot/009"))).as("deleted in round 2").isEmpty();
    }
    try (LedgerStore store = open()) {
      assertThat(asStrings(store.consensusLog().scan(bytes("pbft/")))).isEqualTo(expected);
    }
  }

  /**
   * A store written with the options before {@link StoreOptions} (a skiplist memtable and Snappy
   * in every family but the two hash-indexed ones) opens with the new options and reads everything,
   * from its SST files and from its write-ahead log; and a store written with the new options
   * opens with the old ones (a rollback).
   */
  @Test
  void storesWrittenWithTheOldOptionsOpenAndTheOtherWayRound() throws Exception {
    ChainDriver driver = new ChainDriver();
    List<CertifiedBlock> committed = new ArrayList<>();
    try (LedgerStore store = open()) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      for (int i = 0; i < 3; i++) {
        committed.add(driver.commitNext(store, Durability.GROUP));
      }
      store.consensusLog().put(bytes("pbft/slot/new"), bytes("new"), Durability.SYNC);
    }
    // the rollback: the previous build's options; it flushes some records to Snappy SST files and
    // leaves others in its write-ahead log only
    withOldOptions(dir, (db, handles) -> {
      ColumnFamilyHandle consensus = handles.get(1 + StoreOptions.FAMILIES.indexOf("consensus"));
      assertThat(db.get(consensus, bytes("pbft/slot/new").toByteArray())).isEqualTo(bytes("new").toByteArray());
      db.put(consensus, bytes("pbft/slot/old-sst").toByteArray(), bytes("sst").toByteArray());
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        db.flush(flush, handles);
      }
      db.put(consensus, bytes("pbft/slot/old-wal").toByteArray(), bytes("wal").toByteArray());
    });
    try (LedgerStore store = open()) {
      ChainHead head = store.head().orElseThrow();
      assertThat(head.height()).isEqualTo(3);
      for (int h = 1; h <= 3; h++) {
        assertThat(store.block(h)).contains(committed.get(h - 1));
      }
      StoreChecks.checkConsistent(store);
      assertThat(asStrings(store.consensusLog().scan(bytes("pbft/slot/")))).containsExactly(
          Map.entry("pbft/slot/new", "new"), Map.entry("pbft/slot/old-sst", "sst"), Map.entry("pbft/slot/old-wal", "wal"));
      committed.add(driver.commitNext(store, Durability.SYNC));
    }
    try (LedgerStore store = open()) {
      assertThat(store.head().orElseThrow().height()).isEqualTo(4);
      StoreChecks.checkConsistent(store);
    }
  }

  /** Something done on a raw RocksDB. */
  @FunctionalInterface
  private interface RawUse {
    void use(RocksDB db, List<ColumnFamilyHandle> handles) throws Exception;
  }

  /** Opens {@code dir} with the options of the build before {@link StoreOptions} and runs {@code use}. */
  private static void withOldOptions(Path dir, RawUse use) throws Exception {
    try (DBOptions db = new DBOptions().setWalRecoveryMode(org.rocksdb.WALRecoveryMode.PointInTimeRecovery)
            .setAllowConcurrentMemtableWrite(false);
        org.rocksdb.BloomFilter bloom = new org.rocksdb.BloomFilter(10);
        ColumnFamilyOptions plain = new ColumnFamilyOptions()
            .setTableFormatConfig(new org.rocksdb.BlockBasedTableConfig().setFilterPolicy(bloom));
        ColumnFamilyOptions hashed = new ColumnFamilyOptions()
            .setTableFormatConfig(new org.rocksdb.BlockBasedTableConfig().setFilterPolicy(bloom))
            .useFixedLengthPrefixExtractor(8)
            .setMemTableConfig(new org.rocksdb.HashLinkedListMemTableConfig().setBucketCount(200_000))) {
      assertThat(plain.compressionType()).as("rocksdbjni's default").isEqualTo(CompressionType.SNAPPY_COMPRESSION);
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, plain));
      for (String f : StoreOptions.FAMILIES) {
        boolean hashKeyed = f.equals("block_hash") || f.equals("tx_index");
        descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), hashKeyed ? hashed : plain));
      }
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB rocks = RocksDB.open(db, dir.toString(), descriptors, handles)) {
        try {
          use.use(rocks, handles);
        } finally {
          handles.forEach(ColumnFamilyHandle::close);
        }
      }
    }
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static Map<String, String> asStrings(List<Map.Entry<ByteString, ByteString>> entries) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<ByteString, ByteString> e : entries) {
      out.put(e.getKey().toStringUtf8(), e.getValue().toStringUtf8());
    }
    return out;
  }
}
