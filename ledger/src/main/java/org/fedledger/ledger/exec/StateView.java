package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Read access to the contract state: a sorted key-value map.
 *
 * <p>Keys of a contract start with its {@link Contract#name()} and a '/'. Order is unsigned
 * lexicographic over the key bytes, the same on every validator and every JVM.
 */
public interface StateView {
  /** The value stored under {@code key}, if any. */
  Optional<ByteString> get(ByteString key);

  /**
   * Every entry whose key starts with {@code prefix}, in unsigned lexicographic key order. The
   * list may be unmodifiable (a cached one is): callers read it only.
   */
  List<Map.Entry<ByteString, ByteString>> scan(ByteString prefix);

  /** Convenience: {@code get} with a UTF-8 key. */
  default Optional<ByteString> get(String key) {
    return get(ByteString.copyFromUtf8(key));
  }
}
