package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Buffered writes over a parent {@link StateView}. Reads see the buffer first; nothing reaches
 * the parent until {@link #applyTo(State)}. A deleted key is held in the buffer as a
 * {@code null} value, so it hides the parent's value.
 */
public final class WriteBuffer implements State {
  /** Unsigned lexicographic order over key bytes: the state's one key order. */
  public static final Comparator<ByteString> KEY_ORDER = ByteString.unsignedLexicographicalComparator();

  private final StateView parent;
  private final TreeMap<ByteString, ByteString> writes = new TreeMap<>(KEY_ORDER);

  /** An empty buffer over {@code parent}. */
  public WriteBuffer(StateView parent) {
    this.parent = parent;
  }

  @Override
  public Optional<ByteString> get(ByteString key) {
    ByteString mine = writes.get(key);
    if (mine != null) {
      return Optional.of(mine);
    }
    if (!writes.isEmpty() && writes.containsKey(key)) {
      return Optional.empty(); // deleted here
    }
    return parent.get(key);
  }

  @Override
  public List<Map.Entry<ByteString, ByteString>> scan(ByteString prefix) {
    List<Map.Entry<ByteString, ByteString>> below = parent.scan(prefix);
    NavigableMap<ByteString, ByteString> mine = prefixMap(writes, prefix);
    if (mine.isEmpty()) {
      return below;
    }
    List<Map.Entry<ByteString, ByteString>> merged = new ArrayList<>(below.size() + mine.size());
    Iterator<Map.Entry<ByteString, ByteString>> a = below.iterator();
    Iterator<Map.Entry<ByteString, ByteString>> b = mine.entrySet().iterator();
    Map.Entry<ByteString, ByteString> x = a.hasNext() ? a.next() : null;
    Map.Entry<ByteString, ByteString> y = b.hasNext() ? b.next() : null;
    while (x != null || y != null) {
      int c = x == null ? 1 : y == null ? -1 : KEY_ORDER.compare(x.getKey(), y.getKey());
      if (c < 0) {
        merged.add(x);
        x = a.hasNext() ? a.next() : null;
      } else {
        if (y.getValue() != null) {
          merged.add(Map.entry(y.getKey(), y.getValue()));
        }
        if (c == 0) {
          x = a.hasNext() ? a.next() : null;
        }
        y = b.hasNext() ? b.next() : null;
      }
    }
    return merged;
  }

  @Override
  public void put(ByteString key, ByteString value) {
    if (key.isEmpty()) {
      throw new IllegalArgumentException("state keys are never empty");
    }
    writes.put(key, value);
  }

  @Override
  public void delete(ByteString key) {
    writes.put(key, null);
  }

  /** Replays the buffered writes, in key order, onto {@code target}. */
  public void applyTo(State target) {
    for (Map.Entry<ByteString, ByteString> w : writes.entrySet()) {
      if (w.getValue() == null) {
        target.delete(w.getKey());
      } else {
        target.put(w.getKey(), w.getValue());
      }
    }
  }

  /** The buffered writes in key order; a {@code null} value is a delete. Unmodifiable. */
  public NavigableMap<ByteString, ByteString> writes() {
    return Collections.unmodifiableNavigableMap(writes);
  }

  /** True when nothing has been written. */
  public boolean isEmpty() {
    return writes.isEmpty();
  }

  /** The sub-map of keys starting with {@code prefix}. */
  static <V> NavigableMap<ByteString, V> prefixMap(NavigableMap<ByteString, V> map, ByteString prefix) {
    if (prefix.isEmpty()) {
      return map;
    }
    Optional<ByteString> end = prefixEnd(prefix);
    return end.isPresent() ? map.subMap(prefix, true, end.get(), false) : map.tailMap(prefix, true);
  }

  /** The smallest key greater than every key starting with {@code prefix}, if one exists. */
  public static Optional<ByteString> prefixEnd(ByteString prefix) {
    byte[] b = prefix.toByteArray();
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] != (byte) 0xff) {
        b[i]++;
        return Optional.of(ByteString.copyFrom(b, 0, i + 1));
      }
    }
    return Optional.empty();
  }
}
