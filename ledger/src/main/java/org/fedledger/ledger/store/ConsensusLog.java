package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The consensus driver's persistent log: opaque keys and values (votes sent, prepared
 * certificates, view numbers, checkpoints) in their own column family. The ledger gives them
 * no meaning.
 *
 * <p>Every write takes a {@link Durability}: a replica persists what it votes for with
 * {@link Durability#SYNC} before sending the vote, so a restarted honest replica never votes
 * twice differently, even after a power loss. {@link #write} applies several changes atomically.
 */
public final class ConsensusLog {
  private final RocksDB db;
  private final ColumnFamilyHandle cf;
  private final WriteOptions syncWrite;
  private final WriteOptions groupWrite;
  private final Runnable checkOpen;

  ConsensusLog(RocksDB db, ColumnFamilyHandle cf, WriteOptions syncWrite, WriteOptions groupWrite, Runnable checkOpen) {
    this.checkOpen = checkOpen;
    this.db = db;
    this.cf = cf;
    this.syncWrite = syncWrite;
    this.groupWrite = groupWrite;
  }

  /** The value under {@code key}, if any. */
  public Optional<ByteString> get(ByteString key) {
    checkOpen.run();
    byte[] v = Scans.get(db, cf, key.toByteArray());
    return v == null ? Optional.empty() : Optional.of(UnsafeByteOperations.unsafeWrap(v));
  }

  /** Every entry whose key starts with {@code prefix}, in unsigned byte order. */
  public List<Map.Entry<ByteString, ByteString>> scan(ByteString prefix) {
    checkOpen.run();
    return Scans.scan(db, cf, prefix, null);
  }

  /** Stores {@code value} under {@code key}. */
  public void put(ByteString key, ByteString value, Durability durability) {
    write(Map.of(key, Optional.of(value)), durability);
  }

  /** Removes {@code key}. */
  public void delete(ByteString key, Durability durability) {
    write(Map.of(key, Optional.empty()), durability);
  }

  /**
   * Applies {@code changes} atomically: a present value is a put, an empty one a delete.
   * (Keys are distinct, so the order of application does not matter.)
   */
  public void write(Map<ByteString, Optional<ByteString>> changes, Durability durability) {
    checkOpen.run();
    BatchBuilder records = new BatchBuilder();
    fill(records, changes);
    try (WriteBatch batch = records.build()) {
      db.write(options(durability), batch);
    } catch (RocksDBException e) {
      throw new StoreException("consensus log write failed: " + e.getMessage(), e);
    }
  }

  /** Adds {@code changes} (as in {@link #write}) to {@code batch}, e.g. a commit's batch. */
  void fill(BatchBuilder batch, Map<ByteString, Optional<ByteString>> changes) {
    for (Map.Entry<ByteString, Optional<ByteString>> c : changes.entrySet()) {
      if (c.getValue().isPresent()) {
        batch.put(cf, c.getKey().toByteArray(), c.getValue().get());
      } else {
        batch.delete(cf, c.getKey().toByteArray());
      }
    }
  }

  /** Removes every key in [{@code from}, {@code to}), e.g. log entries below a stable checkpoint. */
  public void deleteRange(ByteString from, ByteString to, Durability durability) {
    checkOpen.run();
    try {
      db.deleteRange(cf, options(durability), from.toByteArray(), to.toByteArray());
    } catch (RocksDBException e) {
      throw new StoreException("consensus log range delete failed: " + e.getMessage(), e);
    }
  }

  private WriteOptions options(Durability durability) {
    return durability == Durability.SYNC ? syncWrite : groupWrite;
  }
}
