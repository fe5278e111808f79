package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.WriteBatch;

/**
 * Builds a RocksDB WriteBatch in Java, in RocksDB's own serialized batch format, and hands it to
 * RocksDB in ONE native call ({@link #build}) instead of one JNI crossing (and one copy of key and
 * value) per record; protobuf values are serialized straight into the batch.
 *
 * <p>The format (RocksDB {@code db/write_batch.cc}, stable since it is also the write-ahead log's
 * record format): a 12-byte header (sequence number, 8 bytes little-endian, set by RocksDB when
 * written; record count, 4 bytes little-endian), then per record a type byte, the column family id
 * as a varint32 (not for the default family), the key and, for a put, the value, each as a varint32
 * length followed by the bytes. {@code BatchBuilderTest} checks the bytes against the batch that
 * RocksDB's own {@code WriteBatch.put}/{@code delete} build.
 */
final class BatchBuilder {
  private static final int HEADER_BYTES = 12;
  private static final byte TYPE_DELETION = 0x0;
  private static final byte TYPE_VALUE = 0x1;
  private static final byte TYPE_COLUMN_FAMILY_DELETION = 0x4;
  private static final byte TYPE_COLUMN_FAMILY_VALUE = 0x5;

  private byte[] buf = new byte[4096];
  private int size = HEADER_BYTES;
  private int count;

  /** Adds a put of {@code value} under {@code key} in {@code cf}. */
  BatchBuilder put(ColumnFamilyHandle cf, byte[] key, byte[] value) {
    return put(cf, key, UnsafeByteOperations.unsafeWrap(value));
  }

  /** Adds a put of {@code value} under {@code key} in {@code cf}. */
  BatchBuilder put(ColumnFamilyHandle cf, byte[] key, ByteString value) {
    int n = value.size();
    header(cf, TYPE_VALUE, TYPE_COLUMN_FAMILY_VALUE, key.length + n + 10);
    bytes(key, key.length);
    varint(n);
    value.copyTo(buf, size);
    size += n;
    return this;
  }

  /** Adds a put of {@code value} under {@code key} in {@code cf}; the value is serialized into the batch. */
  BatchBuilder put(ColumnFamilyHandle cf, byte[] key, MessageLite value) {
    int n = value.getSerializedSize();
    header(cf, TYPE_VALUE, TYPE_COLUMN_FAMILY_VALUE, key.length + n + 10);
    bytes(key, key.length);
    varint(n);
    CodedOutputStream out = CodedOutputStream.newInstance(buf, size, n);
    try {
      value.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("a protobuf message changed size while serialized", e);
    }
    size += n;
    return this;
  }

  /** Adds a deletion of {@code key} in {@code cf}. */
  BatchBuilder delete(ColumnFamilyHandle cf, byte[] key) {
    header(cf, TYPE_DELETION, TYPE_COLUMN_FAMILY_DELETION, key.length + 5);
    bytes(key, key.length);
    return this;
  }

  /** Records added so far. */
  int count() {
    return count;
  }

  /** The serialized batch (a copy). */
  byte[] toBytes() {
    byte[] out = Arrays.copyOf(buf, size);
    out[8] = (byte) count;
    out[9] = (byte) (count >>> 8);
    out[10] = (byte) (count >>> 16);
    out[11] = (byte) (count >>> 24);
    return out;
  }

  /** A native WriteBatch holding the records (one JNI call); the caller closes it. */
  WriteBatch build() {
    return new WriteBatch(toBytes());
  }

  /** The type byte and family id of a record, with room for {@code more} bytes after them. */
  private void header(ColumnFamilyHandle cf, byte defaultType, byte familyType, int more) {
    ensure(1 + 5 + more);
    int id = cf.getID();
    if (id == 0) {
      buf[size++] = defaultType;
    } else {
      buf[size++] = familyType;
      varint(id);
    }
    count++;
  }

  private void bytes(byte[] b, int n) {
    varint(n);
    System.arraycopy(b, 0, buf, size, n);
    size += n;
  }

  private void varint(int v) {
    while ((v & ~0x7f) != 0) {
      buf[size++] = (byte) ((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
