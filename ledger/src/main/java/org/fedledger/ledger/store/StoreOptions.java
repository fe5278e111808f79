package org.fedledger.ledger.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.HashLinkedListMemTableConfig;
import org.rocksdb.RocksDB;
import org.rocksdb.VectorMemTableConfig;
import org.rocksdb.WALRecoveryMode;

/**
 * The RocksDB options of a {@link LedgerStore}, one set per column family, chosen for how each
 * family is written and read. They change nothing on disk that an older store or an older build
 * cannot read: SST files record their own compression, and a memtable lives only in memory
 * (rebuilt from the write-ahead log at open).
 *
 * <ul>
 *   <li>{@code block_hash}, {@code tx_index}: random 32-byte keys, point lookups only: a
 *       hash-bucketed memtable ({@link #hashIndex}), no compression (hashes and heights do not
 *       compress).
 *   <li>{@code consensus}: written with every event-loop batch (a slot record put when a block is
 *       pre-prepared and again when prepared, its deletion K blocks later) and read only when a
 *       replica is restored ({@link ConsensusLog#scan} at start, {@link ConsensusLog#get}): a
 *       vector memtable ({@link #consensus}), whose insert appends instead of descending a skiplist
 *       of ~200,000 entries; a read sorts a copy of the memtable (fine at start, slow if ever done
 *       per message); the flush sorts it once. Most records are deleted before their memtable is
 *       flushed, so its SST files are small; no compression.
 *   <li>all but the hash-keyed and consensus families: LZ4 instead of rocksdbjni's default Snappy,
 *       which spent ~3× the flush CPU of no compression on block-like data, compressed it too
 *       little for RocksDB to keep (it stores a block raw unless compression saves 1/8), where LZ4
 *       kept 14 % at half Snappy's CPU.
 * </ul>
 * Every family's SST files carry a 10-bit bloom filter.
 */
final class StoreOptions implements AutoCloseable {
  /** The column families after {@code default}, in handle order (handle i + 1). */
  static final List<String> FAMILIES =
      List.of("blocks", "block_hash", "tx_index", "receipts", "state", "consensus", "meta");
  /** Hash buckets of the {@code block_hash} and {@code tx_index} memtables (8 bytes each, from the memtable). */
  static final long INDEX_MEMTABLE_BUCKETS = 200_000;

  private final DBOptions db;
  private final BloomFilter bloom;
  private final List<ColumnFamilyOptions> owned = new ArrayList<>();
  private final List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();

  StoreOptions() {
    // One writer: the hash and vector memtables need writes to the memtable in turn.
    db = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
        .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery).setManualWalFlush(false)
        .setMaxBackgroundJobs(2).setAllowConcurrentMemtableWrite(false);
    bloom = new BloomFilter(10);
    ColumnFamilyOptions general = own(table(new ColumnFamilyOptions()).setCompressionType(CompressionType.LZ4_COMPRESSION));
    ColumnFamilyOptions hashIndex = own(hashIndex(table(new ColumnFamilyOptions())));
    ColumnFamilyOptions consensus = own(consensus(table(new ColumnFamilyOptions())));
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, general));
    for (String f : FAMILIES) {
      ColumnFamilyOptions o = switch (f) {
        case "block_hash", "tx_index" -> hashIndex;
        case "consensus" -> consensus;
        default -> general;
      };
      descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), o));
    }
  }

  /** The database options. */
  DBOptions db() {
    return db;
  }

  /** The descriptors of {@code default} and then {@link #FAMILIES}, in order. */
  List<ColumnFamilyDescriptor> descriptors() {
    return descriptors;
  }

  private ColumnFamilyOptions own(ColumnFamilyOptions o) {
    owned.add(o);
    return o;
  }

  private ColumnFamilyOptions table(ColumnFamilyOptions o) {
    return o.setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(bloom));
  }

  /**
   * {@code block_hash} and {@code tx_index}, keyed by SHA-256 hashes and only ever read by point
   * lookups: a hash-bucketed memtable (bucket by the key's first 8 bytes, a short sorted list per
   * bucket) instead of the skiplist, whose insert descends ~20 levels of nodes scattered over the
   * memtable, each a cache miss when keys are random. Lookups of absent keys (the intake's
   * duplicate check of every new transaction) stop at an empty bucket. A flush sorts the memtable
   * once. Neither family can be iterated in key order across prefixes (nothing does).
   */
  private static ColumnFamilyOptions hashIndex(ColumnFamilyOptions o) {
    return o.setCompressionType(CompressionType.NO_COMPRESSION).useFixedLengthPrefixExtractor(8)
        .setMemTableConfig(new HashLinkedListMemTableConfig().setBucketCount(INDEX_MEMTABLE_BUCKETS));
  }

  /** {@code consensus}: written all the time, read at restore only (see the class comment). */
  private static ColumnFamilyOptions consensus(ColumnFamilyOptions o) {
    return o.setCompressionType(CompressionType.NO_COMPRESSION).setMemTableConfig(new VectorMemTableConfig());
  }

  /** Closes every native object; after {@link RocksDB#close} (or when the open failed). */
  @Override
  public void close() {
    for (ColumnFamilyOptions o : owned) {
      o.close();
    }
    db.close();
    bloom.close();
  }
}
