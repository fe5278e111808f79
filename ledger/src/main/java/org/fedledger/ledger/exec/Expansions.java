package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link LtHash} expansions of the entries one executor added lately. Changing a key's
 * value removes the old entry and adds the new one; the old entry was usually added by a recent
 * block, so its expansion (64 SHA-256 blocks, the bulk of a state root's cost) is looked up
 * instead of computed again. An entry is recognised by its key and the SHA-256 of its value,
 * which the expansion needs anyway, or, for values of at most {@link #SMALL_VALUE_BYTES}, by the
 * value itself (no digest to compute), so a hit gives exactly the lanes a miss would compute. A
 * key seen before also lends its digest to its next value's expansion.
 *
 * <p>Nothing here depends on what was committed: a remembered expansion is that of its (key,
 * value) whoever added it, so one added by an execution whose block was then discarded (a
 * failed write, a rollback, the store's cache invalidated) is either never matched or still
 * exact; the key's next addition replaces it. Entries are immutable and the map concurrent, so
 * executions on several threads at once stay correct.
 * Per executor (one validator's), bounded by {@code max} keys (2 KiB each), cleared when full.
 */
final class Expansions {
  /** Values up to this size are kept and compared as they are. */
  static final int SMALL_VALUE_BYTES = 256;

  /** A key's digest and its value's expansion; {@code value} is null unless small. */
  private record Entry(byte[] keyDigest, ByteString value, byte[] valueDigest, short[] lanes) {}

  private final Map<ByteString, Entry> byKey = new ConcurrentHashMap<>();
  private final int max;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  Expansions(int max) {
    this.max = max;
  }

  /** Removes (key, value) from {@code lattice}. */
  void remove(LtHash lattice, ByteString key, ByteString value) {
    Entry e = byKey.get(key);
    if (e != null && e.value() != null) {
      if (e.value().equals(value)) {
        hits.increment();
        lattice.remove(e.lanes());
        return;
      }
      misses.increment();
      lattice.remove(e.keyDigest(), LtHash.digest(value));
      return;
    }
    byte[] valueDigest = LtHash.digest(value);
    if (e != null && MessageDigest.isEqual(e.valueDigest(), valueDigest)) {
      hits.increment();
      lattice.remove(e.lanes());
      return;
    }
    misses.increment();
    lattice.remove(e != null ? e.keyDigest() : LtHash.digest(key), valueDigest);
  }

  /** Adds (key, value) to {@code lattice} and remembers its expansion. */
  void add(LtHash lattice, ByteString key, ByteString value) {
    Entry e = byKey.get(key);
    byte[] keyDigest = e != null ? e.keyDigest() : LtHash.digest(key);
    byte[] valueDigest = LtHash.digest(value);
    short[] lanes = LtHash.expand(keyDigest, valueDigest);
    lattice.add(lanes);
    if (byKey.size() >= max) {
      byKey.clear();
    }
    // copies: an entry never pins a larger buffer nor aliases a caller's array
    ByteString small = value.size() <= SMALL_VALUE_BYTES ? UnsafeByteOperations.unsafeWrap(value.toByteArray()) : null;
    byKey.put(UnsafeByteOperations.unsafeWrap(key.toByteArray()), new Entry(keyDigest, small, valueDigest, lanes));
  }

  /** Removals that reused a remembered expansion. */
  long hits() {
    return hits.sum();
  }

  /** Removals that expanded the entry afresh. */
  long misses() {
    return misses.sum();
  }
}
