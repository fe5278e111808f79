package org.fedledger.ledger.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.exec.WriteBuffer;
import org.fedledger.proto.CertifiedBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The committed-value cache of {@link RocksStateView} returns exactly what RocksDB holds: through
 * the ledger store's commits (one block or a batch at a time), for deletes, values too large to
 * cache, a full cache, an invalidation, and readers on other threads racing the commits.
 */
class RocksStateViewCacheTest {
  /** Prefixes scanned: the whole state, the registry, the nonce windows, one absent namespace. */
  private static final List<ByteString> PREFIXES = List.of(ByteString.EMPTY,
      ByteString.copyFromUtf8("registry/participant/"), ByteString.copyFromUtf8("nonce/"),
      ByteString.copyFromUtf8("fl/open/"));

  @TempDir Path dir;

  @Test
  void readsThroughTheStoreMatchASnapshotAfterEveryCommit() {
    try (LedgerStore store = LedgerStore.open(dir, ChainDriver.CHAIN.genesisHash(), Durability.GROUP)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      ChainDriver driver = new ChainDriver();
      TreeSet<ByteString> seen = new TreeSet<>(WriteBuffer.KEY_ORDER);
      seen.add(ByteString.copyFromUtf8("registry/participant/never-written"));
      for (int round = 0; round < 24; round++) {
        // Read every key ever seen (present or deleted since) and scan the prefixes, so that the
        // cache holds them before the commit.
        seen.forEach(k -> store.state().get(k));
        PREFIXES.forEach(p -> store.state().scan(p));
        if (round % 3 == 2) {
          driver.commitBatch(store, 1 + round % 4, Durability.GROUP);
        } else {
          driver.commitNext(store, Durability.GROUP);
        }
        try (StateSnapshot truth = store.snapshot()) {
          truth.scan(ByteString.EMPTY).forEach(e -> seen.add(e.getKey()));
          for (ByteString k : seen) {
            assertThat(store.state().get(k)).as("key %s after round %d", k.toStringUtf8(), round)
                .isEqualTo(truth.get(k));
          }
          for (ByteString p : PREFIXES) {
            assertThat(store.state().scan(p)).as("scan %s after round %d", p.toStringUtf8(), round)
                .isEqualTo(truth.scan(p));
          }
        }
      }
      assertThat(((RocksStateView) store.state()).cachedKeys()).isPositive();
      assertThat(((RocksStateView) store.state()).cachedScans()).isPositive();
    }
  }

  @Test
  void deletesLargeValuesAFullCacheAndInvalidation() throws Exception {
    RocksDB.loadLibrary();
    try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, dir.toString());
        WriteOptions wo = new WriteOptions()) {
      RocksStateView view = view(db);
      ByteString a = key("a");
      ByteString big = key("big");
      assertThat(view.get(a)).isEmpty(); // the absence is cached
      commit(db, wo, view, List.of(Map.of(a, value(1), big, ByteString.copyFrom(new byte[RocksStateView.MAX_VALUE_BYTES + 1]))));
      assertThat(view.get(a)).contains(value(1));
      assertThat(view.get(big).orElseThrow().size()).isEqualTo(RocksStateView.MAX_VALUE_BYTES + 1);

      // Two blocks in one commit: the later write of a key wins, a delete hides the value.
      Map<ByteString, ByteString> second = new TreeMap<>(WriteBuffer.KEY_ORDER);
      second.put(a, null);
      second.put(big, value(3));
      commit(db, wo, view, List.of(Map.of(a, value(2)), second));
      assertThat(view.get(a)).isEmpty();
      assertThat(view.get(big)).contains(value(3));

      // More keys than the cache holds: it empties itself and still answers right.
      List<Map<ByteString, ByteString>> many = new ArrayList<>();
      for (int i = 0; i < RocksStateView.MAX_ENTRIES + 10; i++) {
        many.add(Map.of(key("k" + i), value(i)));
      }
      commit(db, wo, view, many);
      assertThat(view.cachedKeys()).isLessThanOrEqualTo(RocksStateView.MAX_ENTRIES);
      for (int i = 0; i < RocksStateView.MAX_ENTRIES + 10; i += 97) {
        assertThat(view.get(key("k" + i))).contains(value(i));
      }

      // A change the view was not told of, then invalidate(): the next read is RocksDB's.
      assertThat(view.get(key("k0"))).contains(value(0));
      db.put(key("k0").toByteArray(), value(99).toByteArray());
      view.invalidate();
      assertThat(view.cachedKeys()).isZero();
      assertThat(view.get(key("k0"))).contains(value(99));
    }
  }

  @Test
  void scansAreDroppedByWritesUnderTheirPrefixOnly() throws Exception {
    RocksDB.loadLibrary();
    try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, dir.toString());
        WriteOptions wo = new WriteOptions()) {
      RocksStateView view = view(db);
      ByteString open = key("open/");
      assertThat(view.scan(open)).isEmpty();
      assertThat(view.cachedScans()).isEqualTo(1);

      commit(db, wo, view, List.of(Map.of(key("other"), value(1)))); // not under the prefix: kept
      assertThat(view.cachedScans()).isEqualTo(1);
      assertThat(view.scan(open)).isEmpty();

      commit(db, wo, view, List.of(Map.of(key("open/t2"), value(2), key("open/t1"), value(1))));
      assertThat(view.cachedScans()).isZero();
      assertThat(view.scan(open)).containsExactly(Map.entry(key("open/t1"), value(1)), Map.entry(key("open/t2"), value(2)));
      assertThat(view.scan(ByteString.EMPTY)).hasSize(3);

      Map<ByteString, ByteString> delete = new TreeMap<>(WriteBuffer.KEY_ORDER);
      delete.put(key("open/t1"), null);
      commit(db, wo, view, List.of(delete));
      assertThat(view.scan(open)).containsExactly(Map.entry(key("open/t2"), value(2)));
      assertThat(view.scan(ByteString.EMPTY)).hasSize(2);

      // Too many entries to keep: read from RocksDB each time, still right.
      Map<ByteString, ByteString> many = new TreeMap<>(WriteBuffer.KEY_ORDER);
      for (int i = 0; i <= RocksStateView.MAX_SCAN_ENTRIES; i++) {
        many.put(key(String.format("many/%03d", i)), value(i));
      }
      commit(db, wo, view, List.of(many));
      view.invalidate();
      assertThat(view.scan(key("many/"))).hasSize(RocksStateView.MAX_SCAN_ENTRIES + 1);
      assertThat(view.cachedScans()).isZero();

      // A change the view was not told of, then invalidate(): the next scan is RocksDB's.
      assertThat(view.scan(open)).hasSize(1);
      db.delete(key("open/t2").toByteArray());
      view.invalidate();
      assertThat(view.scan(open)).isEmpty();
    }
  }

  /** A scan that read RocksDB just before a commit under its prefix landed must not be cached. */
  @Test
  void aScanOverlappingACommitIsNotCached() throws Exception {
    RocksDB.loadLibrary();
    try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, dir.toString());
        WriteOptions wo = new WriteOptions()) {
      AtomicReference<Runnable> between = new AtomicReference<>();
      RocksStateView[] view = new RocksStateView[1];
      view[0] = new RocksStateView(() -> {}, k -> {
        try {
          return db.get(k);
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }, p -> {
        List<Map.Entry<ByteString, ByteString>> read = Scans.scan(db, db.getDefaultColumnFamily(), p, null);
        Runnable r = between.getAndSet(null);
        if (r != null) {
          r.run();
        }
        return read;
      });
      between.set(() -> {
        try {
          commit(db, wo, view[0], List.of(Map.of(key("open/t1"), value(1))));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertThat(view[0].scan(key("open/"))).isEmpty(); // read before the commit: rightly empty
      assertThat(view[0].scan(key("open/"))).containsExactly(Map.entry(key("open/t1"), value(1)));
    }
  }

  /**
   * A read that missed and read RocksDB just before a commit (or an invalidation) landed must
   * not fill the cache with what it read: the interleaving, forced here, of a reader thread
   * losing the CPU between its RocksDB read and its fill.
   */
  @Test
  void aReadOverlappingACommitDoesNotCacheTheOldValue() throws Exception {
    RocksDB.loadLibrary();
    try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, dir.toString());
        WriteOptions wo = new WriteOptions()) {
      ByteString a = key("a");
      db.put(a.toByteArray(), value(1).toByteArray());
      for (boolean byInvalidation : new boolean[] {false, true}) {
        AtomicReference<Runnable> between = new AtomicReference<>();
        RocksStateView[] view = new RocksStateView[1];
        view[0] = new RocksStateView(() -> {}, k -> {
          try {
            byte[] v = db.get(k);
            Runnable r = between.getAndSet(null);
            if (r != null) {
              r.run();
            }
            return v;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }, p -> Scans.scan(db, db.getDefaultColumnFamily(), p, null));
        long before = db.get(a.toByteArray())[7];
        ByteString next = value(before + 1);
        between.set(() -> {
          try {
            if (byInvalidation) {
              db.put(a.toByteArray(), next.toByteArray());
              view[0].invalidate();
            } else {
              commit(db, wo, view[0], List.of(Map.of(a, next)));
            }
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
        assertThat(view[0].get(a)).contains(value(before)); // read before the commit: the old value, rightly
        assertThat(view[0].get(a)).as("after the commit, by invalidation: %s", byInvalidation).contains(next);
      }
    }
  }

  /**
   * Readers on other threads race commits of ever-growing values; no read that starts after a
   * commit returned may see a value older than it (a stale fill outliving the commit would).
   */
  @Test
  void readersRacingCommitsNeverSeeAValueOlderThanTheLastReturnedCommit() throws Exception {
    RocksDB.loadLibrary();
    int keys = 8;
    int commits = 3_000;
    try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, dir.toString());
        WriteOptions wo = new WriteOptions()) {
      RocksStateView view = view(db);
      AtomicLong published = new AtomicLong(-1);
      AtomicReference<String> failure = new AtomicReference<>();
      List<Thread> readers = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int seed = r;
        Thread t = new Thread(() -> {
          int i = seed;
          while (published.get() < commits - 1 && failure.get() == null) {
            long atLeast = published.get();
            ByteString k = key("race" + (i++ % keys));
            Optional<ByteString> v = view.get(k);
            long seenValue = v.map(b -> b.asReadOnlyByteBuffer().getLong()).orElse(-1L);
            if (seenValue < atLeast) {
              failure.compareAndSet(null, k.toStringUtf8() + " read " + seenValue + " after commit " + atLeast);
            }
          }
        });
        t.start();
        readers.add(t);
      }
      for (int c = 0; c < commits && failure.get() == null; c++) {
        Map<ByteString, ByteString> writes = new TreeMap<>(WriteBuffer.KEY_ORDER);
        for (int k = 0; k < keys; k++) {
          writes.put(key("race" + k), value(c));
        }
        commit(db, wo, view, List.of(writes));
        published.set(c);
        if (c % 16 == 0) {
          view.invalidate();
        }
      }
      published.set(commits);
      for (Thread t : readers) {
        t.join();
      }
      assertThat(failure.get()).isNull();
      for (int k = 0; k < keys; k++) {
        assertThat(view.get(key("race" + k))).contains(value(commits - 1));
      }
    }
  }

  /** What LedgerStore does: one atomic write of every block's writes, then the view is told. */
  private static void commit(RocksDB db, WriteOptions wo, RocksStateView view, List<Map<ByteString, ByteString>> blocks)
      throws Exception {
    try (WriteBatch batch = new WriteBatch()) {
      for (Map<ByteString, ByteString> writes : blocks) {
        for (Map.Entry<ByteString, ByteString> w : writes.entrySet()) {
          if (w.getValue() == null) {
            batch.delete(w.getKey().toByteArray());
          } else {
            batch.put(w.getKey().toByteArray(), w.getValue().toByteArray());
          }
        }
      }
      db.write(wo, batch);
    }
    List<LedgerStore.BlockCommit> commits = new ArrayList<>();
    for (Map<ByteString, ByteString> writes : blocks) {
      TreeMap<ByteString, ByteString> sorted = new TreeMap<>(WriteBuffer.KEY_ORDER);
      sorted.putAll(writes);
      commits.add(new LedgerStore.BlockCommit(CertifiedBlock.getDefaultInstance(),
          new BlockResult(List.of(), List.of(), sorted, new LtHash(), new LtHash().root())));
    }
    view.committed(commits);
  }

  private static RocksStateView view(RocksDB db) {
    return new RocksStateView(db, db.getDefaultColumnFamily(), () -> {});
  }

  private static ByteString key(String s) {
    return ByteString.copyFromUtf8("test/" + s);
  }

  private static ByteString value(long v) {
    return ByteString.copyFrom(ByteBuffer.allocate(8).putLong(v).array());
  }
}
