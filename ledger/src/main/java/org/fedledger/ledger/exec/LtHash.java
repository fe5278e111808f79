package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import org.fedledger.ledger.crypto.Hash;

/**
 * A homomorphic multiset hash of the whole contract state (LtHash16 of Bellare–Micciancio as
 * parametrised by Lewi, Kim, Maykov and Weis, "Securing Update Propagation with Homomorphic
 * Hashing", 2019): 1024 lanes of 16 bits. Each (key, value) entry is expanded to 2048 bytes
 * with SHA-256 in counter mode over {@code SHA-256(key) || SHA-256(value)}; the state's hash is
 * the lane-wise sum mod 2^16 of its entries. Adding or removing an entry costs one expansion,
 * so a block's state root costs O(entries it changed), not O(state), yet commits to the whole
 * state: the same state gives the same root whatever the order of the writes that made it.
 *
 * <p>The state root published in block headers and checkpoints is {@link #root()}, the SHA-256
 * of the 2048 lane bytes.
 */
public final class LtHash {
  /** Number of 16-bit lanes. */
  public static final int LANES = 1024;
  /** Serialized size in bytes. */
  public static final int BYTES = LANES * 2;

  private final short[] lanes;

  /** The hash of the empty state. */
  public LtHash() {
    this.lanes = new short[LANES];
  }

  private LtHash(short[] lanes) {
    this.lanes = lanes;
  }

  /** Reads a serialized lattice (2048 bytes, little-endian lanes). */
  public static LtHash fromBytes(ByteString bytes) {
    if (bytes.size() != BYTES) {
      throw new IllegalArgumentException("an LtHash is " + BYTES + " bytes, got " + bytes.size());
    }
    short[] lanes = new short[LANES];
    for (int i = 0; i < LANES; i++) {
      lanes[i] = (short) ((bytes.byteAt(2 * i) & 0xff) | (bytes.byteAt(2 * i + 1) & 0xff) << 8);
    }
    return new LtHash(lanes);
  }

  /** Serialized form: 2048 bytes, little-endian lanes. */
  public ByteString toBytes() {
    byte[] out = new byte[BYTES];
    for (int i = 0; i < LANES; i++) {
      out[2 * i] = (byte) lanes[i];
      out[2 * i + 1] = (byte) (lanes[i] >>> 8);
    }
    return ByteString.copyFrom(out);
  }

  /** Adds the entry (key, value). */
  public void add(ByteString key, ByteString value) {
    add(expand(key, value));
  }

  /** Removes the entry (key, value), which must have been added before. */
  public void remove(ByteString key, ByteString value) {
    remove(expand(key, value));
  }

  /** Adds an entry given by its expansion ({@link Expansions}). */
  void add(short[] expansion) {
    for (int i = 0; i < LANES; i++) {
      lanes[i] += expansion[i];
    }
  }

  /** Removes an entry given by its expansion ({@link Expansions}). */
  void remove(short[] expansion) {
    for (int i = 0; i < LANES; i++) {
      lanes[i] -= expansion[i];
    }
  }

  /** The state root: SHA-256 of the serialized lanes. */
  public Hash root() {
    return Hash.sha256(toBytes());
  }

  /** An independent copy. */
  public LtHash copy() {
    return new LtHash(lanes.clone());
  }

  private static short[] expand(ByteString key, ByteString value) {
    return expand(digest(key), digest(value));
  }

  /** SHA-256 of {@code bytes}: the half of an entry's seed that it contributes. */
  static byte[] digest(ByteString bytes) {
    MessageDigest md = Hash.newDigestCached();
    md.update(bytes.asReadOnlyByteBuffer());
    return md.digest();
  }

  /** The expansion of the entry whose key and value have the SHA-256 digests given. */
  static short[] expand(byte[] keyDigest, byte[] valueDigest) {
    MessageDigest md = Hash.newDigestCached();
    byte[] seed = new byte[64 + 4];
    System.arraycopy(keyDigest, 0, seed, 0, 32);
    System.arraycopy(valueDigest, 0, seed, 32, 32);
    short[] out = new short[LANES];
    for (int block = 0; block < BYTES / 32; block++) {
      seed[64] = (byte) (block >>> 24);
      seed[65] = (byte) (block >>> 16);
      seed[66] = (byte) (block >>> 8);
      seed[67] = (byte) block;
      byte[] d = md.digest(seed);
      for (int j = 0; j < 16; j++) {
        out[block * 16 + j] = (short) ((d[2 * j] & 0xff) | (d[2 * j + 1] & 0xff) << 8);
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LtHash other && java.util.Arrays.equals(lanes, other.lanes);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(lanes);
  }
}
