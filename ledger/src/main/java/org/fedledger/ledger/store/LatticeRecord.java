package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.LtHash;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code meta/lattice} record of a {@link LedgerStore}: the state lattice, written at a clean
 * close, tagged with the head it belongs to (height ‖ hash ‖ lattice), so that a store reopened
 * after a crash, whose head has moved on since, knows it must rebuild the lattice from the state.
 */
final class LatticeRecord {
  private static final Logger LOG = LoggerFactory.getLogger(LatticeRecord.class);
  /** The height and hash of the head the lattice belongs to. */
  static final int TAG_BYTES = 8 + Hash.LENGTH;
  /** The whole record. */
  static final int BYTES = TAG_BYTES + LtHash.BYTES;

  private LatticeRecord() {}

  /** The record of {@code lattice}, the state lattice after {@code head}. */
  static byte[] encode(ChainHead head, LtHash lattice) {
    return ByteBuffer.allocate(BYTES).putLong(head.height()).put(head.hash().toByteArray())
        .put(lattice.toBytes().toByteArray()).array();
  }

  /** True for a record in the format before the tag: the bare lattice, rewritten with every block. */
  static boolean isUntagged(byte[] record) {
    return record.length == LtHash.BYTES;
  }

  /**
   * The lattice in {@code record} if it belongs to {@code head}; null when it belongs to an older
   * head (the store was not closed cleanly since).
   *
   * @throws StoreException if the record has the wrong length
   */
  static LtHash decode(byte[] record, ChainHead head, Path dir) {
    if (record.length != BYTES) {
      throw new StoreException("ledger store " + dir + ": the lattice record has " + record.length + " bytes: corrupt");
    }
    ByteBuffer b = ByteBuffer.wrap(record);
    long height = b.getLong();
    byte[] hash = new byte[Hash.LENGTH];
    b.get(hash);
    if (height != head.height() || !Hash.of(hash).equals(head.hash())) {
      return null;
    }
    return LtHash.fromBytes(ByteString.copyFrom(record, TAG_BYTES, LtHash.BYTES));
  }

  /** After a crash: the lattice of the committed state, from a full scan of it (one expansion per entry). */
  static LtHash rebuild(RocksDB db, ColumnFamilyHandle state, Path dir, long height) {
    long start = System.nanoTime();
    LtHash lattice = new LtHash();
    long[] entries = {0};
    Scans.forEach(db, state, (k, v) -> {
      lattice.add(UnsafeByteOperations.unsafeWrap(k), UnsafeByteOperations.unsafeWrap(v));
      entries[0]++;
    });
    LOG.info("ledger store {} was not closed cleanly: rebuilt the state lattice at height {} from {} state entries"
        + " in {} ms", dir, height, entries[0], (System.nanoTime() - start) / 1_000_000);
    return lattice;
  }
}
