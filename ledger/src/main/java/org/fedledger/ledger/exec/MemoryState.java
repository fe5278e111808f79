package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Contract state held in memory, with its {@link LtHash} kept up to date on every write. For
 * tests and for running contracts in-process; the node keeps state in RocksDB.
 */
public final class MemoryState implements State {
  private final TreeMap<ByteString, ByteString> entries = new TreeMap<>(WriteBuffer.KEY_ORDER);
  private final LtHash lattice = new LtHash();

  @Override
  public Optional<ByteString> get(ByteString key) {
    return Optional.ofNullable(entries.get(key));
  }

  @Override
  public List<Map.Entry<ByteString, ByteString>> scan(ByteString prefix) {
    List<Map.Entry<ByteString, ByteString>> out = new ArrayList<>();
    for (Map.Entry<ByteString, ByteString> e : WriteBuffer.prefixMap(entries, prefix).entrySet()) {
      out.add(Map.entry(e.getKey(), e.getValue()));
    }
    return out;
  }

  @Override
  public void put(ByteString key, ByteString value) {
    ByteString old = entries.put(key, value);
    if (old != null) {
      lattice.remove(key, old);
    }
    lattice.add(key, value);
  }

  @Override
  public void delete(ByteString key) {
    ByteString old = entries.remove(key);
    if (old != null) {
      lattice.remove(key, old);
    }
  }

  /** Number of keys. */
  public int size() {
    return entries.size();
  }

  /** The lattice hash of the whole state (a copy). */
  public LtHash lattice() {
    return lattice.copy();
  }
}
