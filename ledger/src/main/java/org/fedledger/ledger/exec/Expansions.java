package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link LtHash} expansions of the entries one executor added lately. Changing a key's
 * value removes the old entry and adds the new one; the old entry was usually added by a recent
 * block, so its expansion (64 SHA-256 blocks, the bulk of a state root's cost) is looked up
 * instead of computed again. An entry is recognised by its key and the SHA-256 of its value,
 * which the expansion needs anyway, so a hit gives exactly the lanes a miss would compute.
 * Per executor (one validator's), bounded by {@code max} keys (2 KiB each), cleared when full.
 */
final class Expansions {
  private record Entry(byte[] valueDigest, short[] lanes) {}

  private final Map<ByteString, Entry> byKey = new ConcurrentHashMap<>();
  private final int max;

  Expansions(int max) {
    this.max = max;
  }

  /** Removes (key, value) from {@code lattice}. */
  void remove(LtHash lattice, ByteString key, ByteString value) {
    byte[] valueDigest = LtHash.digest(value);
    Entry e = byKey.get(key);
    if (e != null && MessageDigest.isEqual(e.valueDigest(), valueDigest)) {
      lattice.remove(e.lanes());
      return;
    }
    lattice.remove(LtHash.expand(LtHash.digest(key), valueDigest));
  }

  /** Adds (key, value) to {@code lattice} and remembers its expansion. */
  void add(LtHash lattice, ByteString key, ByteString value) {
    byte[] valueDigest = LtHash.digest(value);
    short[] lanes = LtHash.expand(LtHash.digest(key), valueDigest);
    lattice.add(lanes);
    if (byKey.size() >= max) {
      byKey.clear();
    }
    byKey.put(ByteString.copyFrom(key.toByteArray()), new Entry(valueDigest, lanes)); // never pins a larger buffer
  }
}
