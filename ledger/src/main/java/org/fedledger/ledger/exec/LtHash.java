package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.DigestException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.fedledger.ledger.crypto.Hash;

/**
 * A homomorphic multiset hash of the whole contract state (LtHash16 of Bellare–Micciancio as
 * parametrised by Lewi, Kim, Maykov and Weis, "Securing Update Propagation with Homomorphic
 * Hashing", 2019): 1024 lanes of 16 bits. Each (key, value) entry is expanded to 2048 bytes:
 * the AES-256-CTR keystream (counter block from zero) under the key
 * {@code SHA-256(SHA-256(key) || SHA-256(value))}, i.e. AES-256 in counter mode as an
 * extendable-output function seeded by a SHA-256 digest of the entry, as Kyber-90s used it in
 * place of SHAKE. The state's hash is the lane-wise sum mod 2^16 of its entries. Adding or removing an entry costs one expansion,
 * so a block's state root costs O(entries it changed), not O(state), yet commits to the whole
 * state: the same state gives the same root whatever the order of the writes that made it.
 *
 * <p>The state root published in block headers and checkpoints is {@link #root()}, the SHA-256
 * of the 2048 lane bytes.
 *
 * <p><b>Cost.</b> An expansion is one SHA-256 compression (plus its padding block), one AES key
 * schedule and 128 AES blocks, which HotSpot runs on the CPU's AES instructions: ~1 µs, where
 * the 64 SHA-256 digests of counter mode took ~4 µs. Adding or removing an entry, a digest and
 * a root allocate no buffers (each thread reuses its own digests, cipher and arrays) except the
 * key object and the key schedule the JDK's cipher makes per key.
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

  /** Values of at most this many bytes are digested from a copy in the thread's buffer. */
  private static final int COPIED_BYTES = 4_096;

  /** The initial counter block of every expansion: zero. */
  private static final IvParameterSpec ZERO_COUNTER = new IvParameterSpec(new byte[16]);

  /** What one thread reuses for every expansion, digest and root: nothing here escapes a call. */
  private static final class Scratch {
    /** Digests of keys, values, seeds and lattices. */
    final MessageDigest plain = Hash.newDigest();
    final Cipher aes = newCounterMode();
    final byte[] keyDigest = new byte[32];
    final byte[] valueDigest = new byte[32];
    /** {@code SHA-256(keyDigest || valueDigest)}: the AES-256 key of an expansion. */
    final byte[] seed = new byte[32];
    /** Zeros, encrypted into the keystream. */
    final byte[] zeros = new byte[BYTES];
    /** The keystream of the expansion in progress. */
    final byte[] stream = new byte[BYTES];
    /** Serialized lanes, for {@link #root()}; also the copy of a small value being digested. */
    final byte[] bytes = new byte[Math.max(BYTES, COPIED_BYTES)];
  }

  private static Cipher newCounterMode() {
    try {
      return Cipher.getInstance("AES/CTR/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no AES/CTR cipher (every Java SE runtime must)", e);
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
   * The expansion of the entry whose key and value have the SHA-256 digests given: the first
   * 2048 bytes of AES-256-CTR under the key {@code SHA-256(keyDigest || valueDigest)} with the
   * counter block starting at zero, read as 1024 little-endian lanes. A fresh array.
   */
  static short[] expand(byte[] keyDigest, byte[] valueDigest) {
    short[] out = new short[LANES];
    expandInto(SCRATCH.get(), keyDigest, valueDigest, out, SET);
    return out;
  }

  private static void expandInto(Scratch s, byte[] keyDigest, byte[] valueDigest, short[] target, int mode) {
    MessageDigest md = s.plain;
    md.reset();
    md.update(keyDigest, 0, 32);
    md.update(valueDigest, 0, 32);
    try {
      md.digest(s.seed, 0, 32);
      s.aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(s.seed, "AES"), ZERO_COUNTER);
      if (s.aes.doFinal(s.zeros, 0, BYTES, s.stream, 0) != BYTES) {
        throw new IllegalStateException("AES/CTR did not return " + BYTES + " bytes");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-CTR over a 32-byte key failed", e);
    }
    meet(s.stream, target, mode);
  }

  /** Meets the 1024 little-endian lanes of {@code stream} with {@code target} by {@code mode}. */
  private static void meet(byte[] stream, short[] target, int mode) {
    if (mode == SET) {
      for (int j = 0; j < LANES; j++) {
        target[j] = (short) LE_SHORT.get(stream, 2 * j);
      }
    } else if (mode == ADD) {
      for (int j = 0; j < LANES; j++) {
        target[j] += (short) LE_SHORT.get(stream, 2 * j);
      }
    } else {
      for (int j = 0; j < LANES; j++) {
        target[j] -= (short) LE_SHORT.get(stream, 2 * j);
      }
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
