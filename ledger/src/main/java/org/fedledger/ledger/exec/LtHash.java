package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.DigestException;
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

  private static final VarHandle LE_SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * Per thread, the digest whose state is cloned per counter; only ever fed byte arrays, so it
   * never holds the up-to-4-KiB scratch array a ByteBuffer update leaves in a digest, which every
   * clone would copy.
   */
  private static final ThreadLocal<MessageDigest> PREFIX = ThreadLocal.withInitial(Hash::newDigest);

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
    return UnsafeByteOperations.unsafeWrap(serialize()); // a fresh array, never written again
  }

  private byte[] serialize() {
    byte[] out = new byte[BYTES];
    for (int i = 0; i < LANES; i++) {
      LE_SHORT.set(out, 2 * i, lanes[i]);
    }
    return out;
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
    return Hash.sha256(serialize());
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

  /**
   * The expansion of the entry whose key and value have the SHA-256 digests given: the 64
   * digests {@code SHA-256(keyDigest || valueDigest || counter)}, counter 0..63 as 4 bytes
   * big-endian, read as 16 little-endian lanes each. The 64-byte {@code keyDigest || valueDigest}
   * prefix is exactly one SHA-256 block, so it is compressed once and the digest's state is
   * cloned per counter: one compression per counter (plus one) instead of two, same bytes.
   */
  static short[] expand(byte[] keyDigest, byte[] valueDigest) {
    MessageDigest prefix = PREFIX.get();
    prefix.reset();
    short[] out = new short[LANES];
    try {
      prefix.update(keyDigest, 0, 32);
      prefix.update(valueDigest, 0, 32);
      byte[] counter = new byte[4];
      byte[] d = new byte[32];
      for (int block = 0; block < BYTES / 32; block++) {
        MessageDigest md = (MessageDigest) prefix.clone();
        counter[0] = (byte) (block >>> 24);
        counter[1] = (byte) (block >>> 16);
        counter[2] = (byte) (block >>> 8);
        counter[3] = (byte) block;
        md.update(counter, 0, 4);
        md.digest(d, 0, 32);
        for (int j = 0; j < 16; j++) {
          out[block * 16 + j] = (short) LE_SHORT.get(d, 2 * j);
        }
      }
      return out;
    } catch (CloneNotSupportedException | DigestException e) {
      // a provider whose SHA-256 state cannot be cloned: expanded below by the definition
    } finally {
      prefix.reset();
    }
    return expandDirect(keyDigest, valueDigest);
  }

  /** {@link #expand} by its definition, two compressions per counter: for providers without clone. */
  static short[] expandDirect(byte[] keyDigest, byte[] valueDigest) {
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
