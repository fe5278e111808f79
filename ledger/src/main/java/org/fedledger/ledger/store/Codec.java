package org.fedledger.ledger.store;

import java.nio.ByteBuffer;

/** Fixed-width big-endian key encodings, so that RocksDB's byte order is numeric order. */
final class Codec {
  private Codec() {}

  static byte[] height(long height) {
    return ByteBuffer.allocate(8).putLong(height).array();
  }

  static long height(byte[] key) {
    return ByteBuffer.wrap(key).getLong();
  }

  static byte[] location(long height, int index) {
    return ByteBuffer.allocate(12).putLong(height).putInt(index).array();
  }

  static TxLocation location(byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    return new TxLocation(b.getLong(), b.getInt());
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
