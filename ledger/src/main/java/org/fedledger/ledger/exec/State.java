package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;

/** Contract state that can be written. Writes are buffered until the executor commits them. */
public interface State extends StateView {
  /** Stores {@code value} under {@code key}, replacing any previous value. */
  void put(ByteString key, ByteString value);

  /** Removes {@code key}; removing an absent key is a no-op. */
  void delete(ByteString key);

  /** Convenience: {@code put} with a UTF-8 key. */
  default void put(String key, ByteString value) {
    put(ByteString.copyFromUtf8(key), value);
  }
}
