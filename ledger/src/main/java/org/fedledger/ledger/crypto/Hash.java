package org.fedledger.ledger.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A SHA-256 value: 32 immutable bytes, comparable in unsigned lexicographic order.
 *
 * <p>SHA-256 is computed with the JDK's {@link MessageDigest}, which HotSpot compiles to the
 * CPU's SHA extensions where present (several times faster than a Java implementation); the
 * digest is the standard FIPS 180-4 function either way.
 */
public final class Hash implements Comparable<Hash> {
  /** Length of a hash in bytes. */
  public static final int LENGTH = 32;

  /** The all-zero hash, used as the parent of the genesis block. */
  public static final Hash ZERO = new Hash(new byte[LENGTH]);

  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Hash::newDigest);

  private final byte[] bytes;

  private Hash(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps a copy of {@code bytes}, which must be exactly 32 bytes long. */
  public static Hash of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("a hash is 32 bytes, got " + bytes.length);
    }
    return new Hash(bytes.clone());
  }

  /** Wraps {@code bytes}, which must be exactly 32 bytes long. */
  public static Hash of(ByteString bytes) {
    if (bytes.size() != LENGTH) {
      throw new IllegalArgumentException("a hash is 32 bytes, got " + bytes.size());
    }
    return new Hash(bytes.toByteArray());
  }

  /** Parses 64 hexadecimal characters. */
  public static Hash fromHex(String hex) {
    return of(HexFormat.of().parseHex(hex));
  }

  /** SHA-256 of {@code data}. */
  public static Hash sha256(byte[] data) {
    return sha256(data, 0, data.length);
  }

  /** SHA-256 of {@code data[offset, offset+length)}. */
  public static Hash sha256(byte[] data, int offset, int length) {
    MessageDigest md = DIGEST.get();
    md.update(data, offset, length);
    return new Hash(md.digest());
  }

  /** SHA-256 of {@code data}, read without copying. */
  public static Hash sha256(ByteString data) {
    MessageDigest md = DIGEST.get();
    md.update(data.asReadOnlyByteBuffer());
    return new Hash(md.digest());
  }

  /** SHA-256 of the concatenation of {@code parts}. */
  public static Hash sha256(ByteString... parts) {
    MessageDigest md = DIGEST.get();
    for (ByteString part : parts) {
      md.update(part.asReadOnlyByteBuffer());
    }
    return new Hash(md.digest());
  }

  /** A fresh SHA-256 digest, for callers that stream many parts. */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }

  /** This thread's SHA-256 digest, reset; callers must finish with {@code digest()} before reuse. */
  public static MessageDigest newDigestCached() {
    MessageDigest md = DIGEST.get();
    md.reset();
    return md;
  }

  /** Wraps the 32 bytes a digest just produced, without copying. */
  static Hash wrapDigest(byte[] digest) {
    return new Hash(digest);
  }

  /** The hash as a read-only ByteString (no copy). */
  public ByteString bytes() {
    return UnsafeByteOperations.unsafeWrap(bytes);
  }

  /** A copy of the 32 bytes. */
  public byte[] toByteArray() {
    return bytes.clone();
  }

  /** Writes the 32 bytes into {@code md}. */
  public void updateDigest(MessageDigest md) {
    md.update(bytes);
  }

  /** Lower-case hexadecimal, 64 characters. */
  public String hex() {
    return HexFormat.of().formatHex(bytes);
  }

  /** The first 8 hex characters, for logs. */
  public String shortHex() {
    return hex().substring(0, 8);
  }

  @Override
  public int compareTo(Hash other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Hash h && Arrays.equals(bytes, h.bytes);
  }

  @Override
  public int hashCode() {
    return (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
  }

  @Override
  public String toString() {
    return hex();
  }
}
