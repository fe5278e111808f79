package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.fedledger.ledger.exec.StateView;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * The live committed contract state in the {@code state} column family. Every read first runs
 * {@code checkOpen}, so a read after the store closed fails with a clear exception instead of
 * touching freed native memory.
 *
 * <p><b>Cache.</b> Point reads are served from a bounded cache of committed values (hot keys:
 * nonce windows, participant records), which saves a RocksDB lookup through JNI per read. A
 * cached entry holds exactly the bytes RocksDB holds for its key, or that the key is absent.
 * Coherence rests on one rule: <em>every change to the state column family goes through
 * {@link LedgerStore}, which calls {@link #committed} after the write succeeded and
 * {@link #invalidate} when a write failed</em> (or after any other change it makes to the
 * state, were one added). Both run under one lock and advance a generation; a read that missed
 * fills the cache only if no commit or invalidation happened since before it read RocksDB, so
 * a value read just before a commit can never outlive it: either the commit's own update (made
 * after its write) overwrites it, or the fill is refused. Values larger than
 * {@link #MAX_VALUE_BYTES} are not kept (a commit writing one drops the key). When the cache
 * holds {@link #MAX_ENTRIES} keys it is emptied. Prefix scans always read RocksDB.
 *
 * <p>Reads from other threads while a commit is being recorded see, key by key, the value
 * before or after it (as a live read of RocksDB does); after {@link LedgerStore#commitBlocks}
 * returns, every read sees the new values. Several consistent reads take a {@link StateSnapshot}.
 */
final class RocksStateView implements StateView {
  /** Most keys cached. */
  static final int MAX_ENTRIES = 8_192;
  /** Largest value cached, in bytes. */
  static final int MAX_VALUE_BYTES = 1_024;

  private static final Optional<ByteString> ABSENT = Optional.empty();

  private final RocksDB db;
  private final ColumnFamilyHandle cf;
  private final Runnable checkOpen;
  private final UnaryOperator<byte[]> pointRead;
  private final ConcurrentHashMap<ByteString, Optional<ByteString>> cache = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  /** Advanced (under {@code lock}) by every commit and invalidation. */
  private volatile long generation;

  RocksStateView(RocksDB db, ColumnFamilyHandle cf, Runnable checkOpen) {
    this(db, cf, checkOpen, k -> Scans.get(db, cf, k));
  }

  /** A view whose point reads of RocksDB go through {@code pointRead} (tests interpose on it). */
  RocksStateView(RocksDB db, ColumnFamilyHandle cf, Runnable checkOpen, UnaryOperator<byte[]> pointRead) {
    this.db = db;
    this.cf = cf;
    this.checkOpen = checkOpen;
    this.pointRead = pointRead;
  }

  @Override
  public Optional<ByteString> get(ByteString key) {
    checkOpen.run();
    Optional<ByteString> cached = cache.get(key);
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
          if (cache.size() >= MAX_ENTRIES) {
            cache.clear();
          }
          cache.putIfAbsent(UnsafeByteOperations.unsafeWrap(k), read);
        }
      }
    }
    return read;
  }

  @Override
  public List<Map.Entry<ByteString, ByteString>> scan(ByteString prefix) {
    checkOpen.run();
    return Scans.scan(db, cf, prefix, null);
  }

  /**
   * Records writes that the store has just made durable in RocksDB (the write returned), in
   * the order they were applied: a later write of a key wins; a {@code null} value is a delete.
   * Must be called for every successful write to the state column family, before the next one.
   */
  void committed(List<? extends Map<ByteString, ByteString>> writesInOrder) {
    synchronized (lock) {
      generation++;
      for (Map<ByteString, ByteString> writes : writesInOrder) {
        for (Map.Entry<ByteString, ByteString> w : writes.entrySet()) {
          ByteString value = w.getValue();
          if (value != null && value.size() > MAX_VALUE_BYTES) {
            cache.remove(w.getKey());
            continue;
          }
          if (cache.size() >= MAX_ENTRIES) {
            cache.clear();
          }
          cache.put(own(w.getKey()), value == null ? ABSENT : Optional.of(own(value)));
        }
      }
    }
  }

  /** Forgets every cached value: after a failed write or any change to the state not described to {@link #committed}. */
  void invalidate() {
    synchronized (lock) {
      generation++;
      cache.clear();
    }
  }

  /** Number of keys cached (tests). */
  int cachedKeys() {
    return cache.size();
  }

  /** A copy of {@code bytes} that shares no buffer (a slice must not pin a larger parent, nor alias a caller's array). */
  private static ByteString own(ByteString bytes) {
    return UnsafeByteOperations.unsafeWrap(bytes.toByteArray());
  }
}
