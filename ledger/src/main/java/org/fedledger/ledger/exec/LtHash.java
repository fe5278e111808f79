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
 *
 * <p><b>Cost.</b> Adding or removing an entry, a digest and a root allocate no buffers: each
 * thread reuses its own digests and arrays. The one allocation left is the SHA-256 state cloned
 * per counter ({@link #EXPANSION_PROPERTY}), cheaper than the compression it saves.
 * {@link #copy()} shares the lanes until either lattice is next written (copy on write), so the
 * copies a block's execution and its commit take of the head's lattice cost one 2 KiB clone in
 * all. Not thread-safe: a lattice is written by one thread at a time, and a copy taken on
 * another thread must be ordered with the writes (as any copy must); copies of a lattice no one
 * writes may be taken from any number of threads at once.
 */
public final class LtHash {
  /** Number of 16-bit lanes. */
  public static final int LANES = 1024;
  /** Serialized size in bytes. */
  public static final int BYTES = LANES * 2;

  private static final VarHandle LE_SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * How entries are expanded: {@code clone} (default: the prefix's digest state cloned per
   * counter, 65 compressions and 64 small short-lived clones) or {@code direct} (its definition,
   * 128 compressions, no allocation at all). Same bits either way; the system property
   * {@value #EXPANSION_PROPERTY} chooses, for measuring one against the other.
   */
  public static final String EXPANSION_PROPERTY = "fedledger.lattice.expansion";

  private static final boolean DIRECT = expansionIsDirect(System.getProperty(EXPANSION_PROPERTY, "clone"));

  /** Values of at most this many bytes are digested from a copy in the thread's buffer. */
  private static final int COPIED_BYTES = 4_096;

  /** What one thread reuses for every expansion, digest and root: nothing here escapes a call. */
  private static final class Scratch {
    /**
     * The digest whose state is cloned per counter; only ever fed byte arrays, so it never holds
     * the up-to-4-KiB scratch array a ByteBuffer update leaves in a digest, which every clone
     * would copy.
     */
    final MessageDigest prefix = Hash.newDigest();
    /** Digests of keys, values and lattices. */
    final MessageDigest plain = Hash.newDigest();
    final byte[] counter = new byte[4];
    final byte[] block = new byte[32];
    final byte[] keyDigest = new byte[32];
    final byte[] valueDigest = new byte[32];
    /** {@code keyDigest || valueDigest || counter}, for {@link #expandDirectInto}. */
    final byte[] seed = new byte[64 + 4];
    /** Serialized lanes, for {@link #root()}; also the copy of a small value being digested. */
    final byte[] bytes = new byte[Math.max(BYTES, COPIED_BYTES)];
    /**
     * Whether to clone the prefix's state: chosen, and this provider's SHA-256 state can be
     * cloned (asked once, so no expansion fails midway).
     */
    final boolean cloneable = !DIRECT && cloneable(prefix);
  }

  private static boolean expansionIsDirect(String choice) {
    switch (choice) {
      case "clone":
        return false;
      case "direct":
        return true;
      default:
        throw new IllegalStateException(EXPANSION_PROPERTY + " must be clone or direct, not " + choice);
    }
  }

  private static boolean cloneable(MessageDigest md) {
    try {
      md.clone();
      return true;
    } catch (CloneNotSupportedException e) {
      return false;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** How an expansion meets its target lanes. */
  private static final int SET = 0;
  private static final int ADD = 1;
  private static final int SUBTRACT = -1;

  private short[] lanes;
  /** True when {@link #lanes} may be shared with a copy: cloned before the next write. */
  private boolean shared;

  /** The hash of the empty state. */
  public LtHash() {
    this.lanes = new short[LANES];
  }

  private LtHash(short[] lanes, boolean shared) {
    this.lanes = lanes;
    this.shared = shared;
  }

  /** Reads a serialized lattice (2048 bytes, little-endian lanes). */
  public static LtHash fromBytes(ByteString bytes) {
    if (bytes.size() != BYTES) {
      throw new IllegalArgumentException("an LtHash is " + BYTES + " bytes, got " + bytes.size());
    }
    byte[] b = bytes.toByteArray();
    short[] lanes = new short[LANES];
    for (int i = 0; i < LANES; i++) {
      lanes[i] = (short) LE_SHORT.get(b, 2 * i);
    }
    return new LtHash(lanes, false);
  }

  /** Serialized form: 2048 bytes, little-endian lanes. */
  public ByteString toBytes() {
    byte[] out = new byte[BYTES];
    serialize(out);
    return UnsafeByteOperations.unsafeWrap(out); // a fresh array, never written again
  }

  private void serialize(byte[] out) {
    short[] l = lanes;
    for (int i = 0; i < LANES; i++) {
      LE_SHORT.set(out, 2 * i, l[i]);
    }
  }

  /** Adds the entry (key, value). */
  public void add(ByteString key, ByteString value) {
    expandInto(key, value, writableLanes(), ADD);
  }

  /** Removes the entry (key, value), which must have been added before. */
  public void remove(ByteString key, ByteString value) {
    expandInto(key, value, writableLanes(), SUBTRACT);
  }

  /** Adds an entry given by its expansion ({@link Expansions}). */
  void add(short[] expansion) {
    short[] l = writableLanes();
    for (int i = 0; i < LANES; i++) {
      l[i] += expansion[i];
    }
  }

  /** Removes an entry given by its expansion ({@link Expansions}). */
  void remove(short[] expansion) {
    short[] l = writableLanes();
    for (int i = 0; i < LANES; i++) {
      l[i] -= expansion[i];
    }
  }

  /** Adds the entry whose key and value have the SHA-256 digests given, expanding it in place. */
  void add(byte[] keyDigest, byte[] valueDigest) {
    expandInto(SCRATCH.get(), keyDigest, valueDigest, writableLanes(), ADD);
  }

  /** Removes the entry whose key and value have the SHA-256 digests given, expanding it in place. */
  void remove(byte[] keyDigest, byte[] valueDigest) {
    expandInto(SCRATCH.get(), keyDigest, valueDigest, writableLanes(), SUBTRACT);
  }

  /** The lanes, cloned first if a copy may share them. */
  private short[] writableLanes() {
    if (shared) {
      lanes = lanes.clone();
      shared = false;
    }
    return lanes;
  }

  /** The state root: SHA-256 of the serialized lanes. */
  public Hash root() {
    Scratch s = SCRATCH.get();
    serialize(s.bytes);
    return Hash.sha256(s.bytes, 0, BYTES);
  }

  /** An independent copy (its lanes are shared until either lattice is written). */
  public LtHash copy() {
    shared = true;
    return new LtHash(lanes, true);
  }

  /** SHA-256 of {@code bytes}: the half of an entry's seed that it contributes. A fresh array. */
  static byte[] digest(ByteString bytes) {
    byte[] out = new byte[32];
    digest(SCRATCH.get(), bytes, out);
    return out;
  }

  private static void digest(Scratch s, ByteString bytes, byte[] out) {
    MessageDigest md = s.plain;
    md.reset();
    int size = bytes.size();
    if (size <= COPIED_BYTES) {
      bytes.copyTo(s.bytes, 0);
      md.update(s.bytes, 0, size);
    } else {
      md.update(bytes.asReadOnlyByteBuffer());
    }
    try {
      md.digest(out, 0, 32);
    } catch (DigestException e) {
      throw new IllegalStateException("a SHA-256 digest is 32 bytes", e);
    }
  }

  private static void expandInto(ByteString key, ByteString value, short[] target, int mode) {
    Scratch s = SCRATCH.get();
    digest(s, key, s.keyDigest);
    digest(s, value, s.valueDigest);
    expandInto(s, s.keyDigest, s.valueDigest, target, mode);
  }

  /**
   * The expansion of the entry whose key and value have the SHA-256 digests given: the 64
   * digests {@code SHA-256(keyDigest || valueDigest || counter)}, counter 0..63 as 4 bytes
   * big-endian, read as 16 little-endian lanes each. A fresh array.
   */
  static short[] expand(byte[] keyDigest, byte[] valueDigest) {
    short[] out = new short[LANES];
    expandInto(SCRATCH.get(), keyDigest, valueDigest, out, SET);
    return out;
  }

  private static void expandInto(Scratch s, byte[] keyDigest, byte[] valueDigest, short[] target, int mode) {
    if (s.cloneable) {
      expandClonedInto(s, keyDigest, valueDigest, target, mode);
    } else {
      expandDirectInto(s, keyDigest, valueDigest, target, mode);
    }
  }

  /**
   * The expansion met with {@code target} by {@code mode}. The 64-byte
   * {@code keyDigest || valueDigest} prefix is exactly one SHA-256 block, so it is compressed
   * once and the digest's state is cloned per counter: one compression per counter (plus one)
   * instead of two, same bytes. The clone (a few small objects, which die at once) is the
   * only per-counter allocation; it costs less than the second compression it saves (see
   * {@code floors.StateLattice}). Only for a provider whose SHA-256 state can be cloned.
   */
  private static void expandClonedInto(Scratch s, byte[] keyDigest, byte[] valueDigest, short[] target,
      int mode) {
    MessageDigest prefix = s.prefix;
    prefix.reset();
    try {
      prefix.update(keyDigest, 0, 32);
      prefix.update(valueDigest, 0, 32);
      byte[] counter = s.counter;
      byte[] d = s.block;
      for (int block = 0; block < BYTES / 32; block++) {
        MessageDigest md = (MessageDigest) prefix.clone();
        counter[0] = (byte) (block >>> 24);
        counter[1] = (byte) (block >>> 16);
        counter[2] = (byte) (block >>> 8);
        counter[3] = (byte) block;
        md.update(counter, 0, 4);
        md.digest(d, 0, 32);
        meet(d, target, block * 16, mode);
      }
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("a SHA-256 digest that cloned before refused to clone", e);
    } catch (DigestException e) {
      throw new IllegalStateException("a SHA-256 digest is 32 bytes", e);
    } finally {
      prefix.reset();
    }
  }

  /** {@link #expand} by its definition, two compressions per counter: for providers without clone. */
  static short[] expandDirect(byte[] keyDigest, byte[] valueDigest) {
    short[] out = new short[LANES];
    expandDirectInto(SCRATCH.get(), keyDigest, valueDigest, out, SET);
    return out;
  }

  private static void expandDirectInto(Scratch s, byte[] keyDigest, byte[] valueDigest, short[] target, int mode) {
    MessageDigest md = s.plain;
    md.reset();
    byte[] seed = s.seed;
    byte[] d = s.block;
    System.arraycopy(keyDigest, 0, seed, 0, 32);
    System.arraycopy(valueDigest, 0, seed, 32, 32);
    try {
      for (int block = 0; block < BYTES / 32; block++) {
        seed[64] = (byte) (block >>> 24);
        seed[65] = (byte) (block >>> 16);
        seed[66] = (byte) (block >>> 8);
        seed[67] = (byte) block;
        md.update(seed, 0, seed.length);
        md.digest(d, 0, 32);
        meet(d, target, block * 16, mode);
      }
    } catch (DigestException e) {
      throw new IllegalStateException("a SHA-256 digest is 32 bytes", e);
    }
  }

  /** Meets the 16 little-endian lanes of {@code d} with {@code target[at, at+16)} by {@code mode}. */
  private static void meet(byte[] d, short[] target, int at, int mode) {
    for (int j = 0; j < 16; j++) {
      short v = (short) LE_SHORT.get(d, 2 * j);
      target[at + j] = mode == SET ? v : (short) (target[at + j] + mode * v);
    }
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
