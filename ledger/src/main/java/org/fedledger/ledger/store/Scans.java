package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedledger.ledger.exec.WriteBuffer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/** Prefix scans and point reads over a column family, closing every native object they open. */
final class Scans {
  private Scans() {}

  /** Every entry of {@code cf} whose key starts with {@code prefix}, in byte order. */
  static List<Map.Entry<ByteString, ByteString>> scan(RocksDB db, ColumnFamilyHandle cf, ByteString prefix,
      Snapshot snapshot) {
    Optional<ByteString> end = WriteBuffer.prefixEnd(prefix);
    Slice upper = end.map(e -> new Slice(e.toByteArray())).orElse(null);
    try (ReadOptions ro = new ReadOptions()) {
      if (upper != null) {
        ro.setIterateUpperBound(upper);
      }
      if (snapshot != null) {
        ro.setSnapshot(snapshot);
      }
      List<Map.Entry<ByteString, ByteString>> out = new ArrayList<>();
      try (RocksIterator it = db.newIterator(cf, ro)) {
        for (it.seek(prefix.toByteArray()); it.isValid(); it.next()) {
          out.add(Map.entry(UnsafeByteOperations.unsafeWrap(it.key()), UnsafeByteOperations.unsafeWrap(it.value())));
        }
        try {
          it.status();
        } catch (RocksDBException e) {
          throw new StoreException("scan failed: " + e.getMessage(), e);
        }
      }
      return out;
    } finally {
      if (upper != null) {
        upper.close();
      }
    }
  }

  /** Calls {@code visitor} with every entry of {@code cf} in byte order, one at a time (no list of them all). */
  static void forEach(RocksDB db, ColumnFamilyHandle cf, java.util.function.BiConsumer<byte[], byte[]> visitor) {
    try (RocksIterator it = db.newIterator(cf)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        visitor.accept(it.key(), it.value());
      }
      try {
        it.status();
      } catch (RocksDBException e) {
        throw new StoreException("scan failed: " + e.getMessage(), e);
      }
    }
  }

  /** The value of {@code key} in {@code cf}, or null. */
  static byte[] get(RocksDB db, ColumnFamilyHandle cf, byte[] key) {
    try {
      return db.get(cf, key);
    } catch (RocksDBException e) {
      throw new StoreException("read failed: " + e.getMessage(), e);
    }
  }

  /** The value of {@code key} in {@code cf} read with {@code ro}, or null. */
  static byte[] get(RocksDB db, ColumnFamilyHandle cf, ReadOptions ro, byte[] key) {
    try {
      return db.get(cf, ro, key);
    } catch (RocksDBException e) {
      throw new StoreException("read failed: " + e.getMessage(), e);
    }
  }
}
