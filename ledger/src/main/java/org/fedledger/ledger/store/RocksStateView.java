package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.fedledger.ledger.exec.StateView;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * The live committed contract state in the {@code state} column family. Every read first runs
 * {@code checkOpen}, so a read after the store closed fails with a clear exception instead of
 * touching freed native memory.
 *
 * <p><b>Cache.</b> Reads are served from a bounded cache of committed state, which saves a
 * RocksDB lookup through JNI per read: point reads of hot keys (nonce windows, participant
 * records) and small prefix scans (the FL contract's index of open rounds, scanned at the end
 * of every block). A cached value holds exactly the bytes RocksDB holds for its key, or that
 * the key is absent; a cached scan exactly the entries RocksDB would list, in the same order.
 *
 * <p>Coherence rests on one rule: <em>every change to the state column family goes through
 * {@link LedgerStore}, which calls {@link #committed} after the write succeeded and
 * {@link #invalidate} when a write failed</em> (and must call one of them after any other
 * change it makes to the state, were one added). Both run under one lock and advance a
 * generation. A commit replaces the cached value of every key it wrote and drops every cached
 * scan whose prefix such a key starts with. A read that missed fills the cache only if no
 * commit or invalidation happened since before it read RocksDB, so what it read just before a
 * commit can never outlive that commit: either the commit's update (made after its write)
 * replaces it, or the fill is refused.
 *
 * <p>Bounds: values larger than {@link #MAX_VALUE_BYTES} are not kept (a commit writing one
 * drops the key); scans of more than {@link #MAX_SCAN_ENTRIES} entries, or with a value that
 * large, are not kept. When the cache holds {@link #MAX_ENTRIES} keys or {@link #MAX_SCANS}
 * prefixes, that part is emptied. Lists returned by {@link #scan} are unmodifiable.
 *
 * <p>Reads from other threads while a commit is being recorded see, key by key, the value
 * before or after it (as a live read of RocksDB does); after {@link LedgerStore#commitBlocks}
 * returns, every read sees the new state. Several consistent reads take a {@link StateSnapshot}.
 */
final class RocksStateView implements StateView {
  /** Most keys cached. */
  static final int MAX_ENTRIES = 8_192;
  /** Largest value cached, in bytes. */
  static final int MAX_VALUE_BYTES = 1_024;
  /** Most prefix scans cached. */
  static final int MAX_SCANS = 64;
  /** Most entries of a cached prefix scan. */
  static final int MAX_SCAN_ENTRIES = 64;

  private static final Optional<ByteString> ABSENT = Optional.empty();

  private final Runnable checkOpen;
  private final UnaryOperator<byte[]> pointRead;
  private final Function<ByteString, List<Map.Entry<ByteString, ByteString>>> prefixRead;
  private final ConcurrentHashMap<ByteString, Optional<ByteString>> values = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ByteString, List<Map.Entry<ByteString, ByteString>>> scans =
      new ConcurrentHashMap<>();
  private final Object lock = new Object();
  /** Advanced (under {@code lock}) by every commit and invalidation. */
  private volatile long generation;

  RocksStateView(RocksDB db, ColumnFamilyHandle cf, Runnable checkOpen) {
    this(checkOpen, k -> Scans.get(db, cf, k), p -> Scans.scan(db, cf, p, null));
  }

  /** A view whose reads of RocksDB go through {@code pointRead} and {@code prefixRead} (tests interpose on them). */
  RocksStateView(Runnable checkOpen, UnaryOperator<byte[]> pointRead,
      Function<ByteString, List<Map.Entry<ByteString, ByteString>>> prefixRead) {
    this.checkOpen = checkOpen;
    this.pointRead = pointRead;
    this.prefixRead = prefixRead;
  }

  @Override
  public Optional<ByteString> get(ByteString key) {
    checkOpen.run();
    Optional<ByteString> cached = values.get(key);
    if (cached != null) {
      return cached;
    }
    long before = generation;
    byte[] k = key.toByteArray(); // a copy: cached as the key, never pins a larger buffer
    byte[] v = pointRead.apply(k);
    Optional<ByteString> read = v == null ? ABSENT : Optional.of(UnsafeByteOperations.unsafeWrap(v));
    if (v == null || v.length <= MAX_VALUE_BYTES) {
      synchronized (lock) {
        if (generation == before) {
          if (values.size() >= MAX_ENTRIES) {
            values.clear();
          }
          values.putIfAbsent(UnsafeByteOperations.unsafeWrap(k), read);
        }
      }
    }
    return read;
  }

  @Override
  public List<Map.Entry<ByteString, ByteString>> scan(ByteString prefix) {
    checkOpen.run();
    List<Map.Entry<ByteString, ByteString>> cached = scans.get(prefix);
    if (cached != null) {
      return cached;
    }
    long before = generation;
    List<Map.Entry<ByteString, ByteString>> read = prefixRead.apply(prefix);
    if (read.size() > MAX_SCAN_ENTRIES || read.stream().anyMatch(e -> e.getValue().size() > MAX_VALUE_BYTES)) {
      return read;
    }
    List<Map.Entry<ByteString, ByteString>> frozen = List.copyOf(read); // entries are immutable, over fresh arrays
    synchronized (lock) {
      if (generation == before) {
        if (scans.size() >= MAX_SCANS) {
          scans.clear();
        }
        scans.putIfAbsent(own(prefix), frozen);
      }
    }
    return frozen;
  }

  /**
   * Records what {@code commits} wrote to the state, which the store has just written to RocksDB
   * (the write returned), blocks in order: a later write of a key wins; a {@code null} value is
   * a delete. Must be called for every successful write to the state column family, before the
   * next one.
   */
  void committed(List<LedgerStore.BlockCommit> commits) {
    synchronized (lock) {
      generation++;
      for (LedgerStore.BlockCommit c : commits) {
        for (Map.Entry<ByteString, ByteString> w : c.result().writes().entrySet()) {
          record(w.getKey(), w.getValue());
        }
      }
    }
  }

  /** Under {@code lock}: the committed write of {@code value} (null: a delete) to {@code key}. */
  private void record(ByteString key, ByteString value) {
    if (!scans.isEmpty()) {
      scans.keySet().removeIf(key::startsWith);
    }
    if (value != null && value.size() > MAX_VALUE_BYTES) {
      values.remove(key);
      return;
    }
    if (values.size() >= MAX_ENTRIES) {
      values.clear();
    }
    values.put(own(key), value == null ? ABSENT : Optional.of(own(value)));
  }

  /** Forgets everything cached: after a failed write or any change to the state not described to {@link #committed}. */
  void invalidate() {
    synchronized (lock) {
      generation++;
      values.clear();
      scans.clear();
    }
  }

  /** Number of keys cached (tests). */
  int cachedKeys() {
    return values.size();
  }

  /** Number of prefix scans cached (tests). */
  int cachedScans() {
    return scans.size();
  }

  /** A copy of {@code bytes} that shares no buffer (a slice must not pin a larger parent, nor alias a caller's array). */
  private static ByteString own(ByteString bytes) {
    return UnsafeByteOperations.unsafeWrap(bytes.toByteArray());
  }
}
