package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedledger.ledger.exec.StateView;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.Snapshot;

/**
 * A consistent read-only view of the committed contract state as of one block, for queries
 * that run while blocks keep committing. Must be closed (it pins a RocksDB snapshot).
 */
public final class StateSnapshot implements StateView, AutoCloseable {
  private final RocksDB db;
  private final ColumnFamilyHandle cf;
  private final Snapshot snapshot;
  private final ReadOptions ro;
  private final long height;
  private final Runnable checkOpen;
  private boolean released;

  StateSnapshot(RocksDB db, ColumnFamilyHandle cf, Snapshot snapshot, long height, Runnable checkOpen) {
    this.checkOpen = checkOpen;
    this.db = db;
    this.cf = cf;
    this.snapshot = snapshot;
    this.ro = new ReadOptions().setSnapshot(snapshot);
    this.height = height;
  }

  /** The height of the block after which this snapshot was taken. */
  public long height() {
    return height;
  }

  @Override
  public Optional<ByteString> get(ByteString key) {
    checkOpen.run();
    byte[] v = Scans.get(db, cf, ro, key.toByteArray());
    return v == null ? Optional.empty() : Optional.of(UnsafeByteOperations.unsafeWrap(v));
  }

  @Override
  public List<Map.Entry<ByteString, ByteString>> scan(ByteString prefix) {
    checkOpen.run();
    return Scans.scan(db, cf, prefix, snapshot);
  }

  @Override
  public synchronized void close() {
    if (released) {
      return;
    }
    released = true;
    ro.close();
    try {
      checkOpen.run();
    } catch (IllegalStateException storeClosed) {
      return; // closing the database freed the snapshot with it
    }
    db.releaseSnapshot(snapshot);
  }
}
