package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedledger.ledger.exec.StateView;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * The live committed contract state in the {@code state} column family. Every read first runs
 * {@code checkOpen}, so a read after the store closed fails with a clear exception instead of
 * touching freed native memory.
 */
final class RocksStateView implements StateView {
  private final RocksDB db;
  private final ColumnFamilyHandle cf;
  private final Runnable checkOpen;

  RocksStateView(RocksDB db, ColumnFamilyHandle cf, Runnable checkOpen) {
    this.db = db;
    this.cf = cf;
    this.checkOpen = checkOpen;
  }

  @Override
  public Optional<ByteString> get(ByteString key) {
    checkOpen.run();
    byte[] v = Scans.get(db, cf, key.toByteArray());
    return v == null ? Optional.empty() : Optional.of(UnsafeByteOperations.unsafeWrap(v));
  }

  @Override
  public List<Map.Entry<ByteString, ByteString>> scan(ByteString prefix) {
    checkOpen.run();
    return Scans.scan(db, cf, prefix, null);
  }
}
