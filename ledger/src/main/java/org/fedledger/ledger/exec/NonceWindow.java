package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Per-signer replay protection. A signer's nonces may arrive out of order (several clients,
 * several validators, pipelined blocks), so instead of a strict counter the ledger keeps the
 * highest nonce seen and a bitmap of the {@code window} nonces below it, like IPsec's
 * anti-replay window (RFC 4303 §3.4.3). A nonce is accepted once; a nonce at or below
 * {@code highest - window} is refused as too old.
 *
 * <p>Stored under {@code nonce/<signer>} as 8 bytes big-endian highest nonce followed by the
 * bitmap (bit i set = nonce {@code highest - i} used; bit 0 is the highest itself).
 */
public final class NonceWindow {
  /** State key prefix. */
  public static final String PREFIX = "nonce/";

  private static final byte[] PREFIX_BYTES = PREFIX.getBytes(StandardCharsets.UTF_8);
  private static final VarHandle BE_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /** Why a nonce was refused. */
  public enum Verdict {
    ACCEPTED,
    REPLAYED,
    TOO_OLD
  }

  private final int window;
  private long highest;
  private final long[] bits;
  private boolean empty;

  private NonceWindow(int window) {
    if (window <= 0 || window % 64 != 0) {
      throw new IllegalArgumentException("nonce window must be a positive multiple of 64: " + window);
    }
    this.window = window;
    this.bits = new long[window / 64];
    this.empty = true;
  }

  /** The state key of {@code signer}'s window (one flat array: quick to hash and compare). */
  public static ByteString key(ByteString signer) {
    byte[] k = new byte[PREFIX_BYTES.length + signer.size()];
    System.arraycopy(PREFIX_BYTES, 0, k, 0, PREFIX_BYTES.length);
    signer.copyTo(k, PREFIX_BYTES.length);
    return UnsafeByteOperations.unsafeWrap(k); // a fresh array, never written again
  }

  /** Loads {@code signer}'s window from {@code state}, or an empty one. */
  public static NonceWindow load(StateView state, ByteString signer, int window) {
    return loadAt(state, key(signer), window);
  }

  /** Loads the window stored under {@code key} (a {@link #key}) from {@code state}, or an empty one. */
  static NonceWindow loadAt(StateView state, ByteString key, int window) {
    NonceWindow w = new NonceWindow(window);
    Optional<ByteString> stored = state.get(key);
    if (stored.isPresent()) {
      ByteString b = stored.get();
      if (b.size() != 8 + window / 8) {
        throw new IllegalStateException("nonce window of unexpected size " + b.size());
      }
      w.empty = false;
      java.nio.ByteBuffer buf = b.asReadOnlyByteBuffer(); // big-endian, as stored
      w.highest = buf.getLong();
      for (int i = 0; i < w.bits.length; i++) {
        w.bits[i] = buf.getLong();
      }
    }
    return w;
  }

  /** Whether {@code nonce} would be accepted, without recording it. */
  public Verdict check(long nonce) {
    if (empty || Long.compareUnsigned(nonce, highest) > 0) {
      return Verdict.ACCEPTED;
    }
    long distance = highest - nonce;
    if (Long.compareUnsigned(distance, window) >= 0) {
      return Verdict.TOO_OLD;
    }
    return isSet((int) distance) ? Verdict.REPLAYED : Verdict.ACCEPTED;
  }

  /** Records {@code nonce}, which {@link #check} must have accepted. */
  public void record(long nonce) {
    if (check(nonce) != Verdict.ACCEPTED) {
      throw new IllegalStateException("recording a refused nonce " + Long.toUnsignedString(nonce));
    }
    if (empty) {
      empty = false;
      highest = nonce;
      set(0);
      return;
    }
    if (Long.compareUnsigned(nonce, highest) > 0) {
      long shift = nonce - highest;
      shiftUp(Long.compareUnsigned(shift, window) >= 0 ? window : (int) shift);
      highest = nonce;
      set(0);
    } else {
      set((int) (highest - nonce));
    }
  }

  /** Writes the window to {@code state}. */
  public void store(State state, ByteString signer) {
    storeAt(state, key(signer));
  }

  /** Writes the window to {@code state} under {@code key} (the signer's {@link #key}). */
  void storeAt(State state, ByteString key) {
    byte[] out = new byte[8 + window / 8];
    BE_LONG.set(out, 0, highest);
    for (int i = 0; i < bits.length; i++) {
      BE_LONG.set(out, 8 + 8 * i, bits[i]);
    }
    state.put(key, UnsafeByteOperations.unsafeWrap(out)); // a fresh array, never written again
  }

  private boolean isSet(int i) {
    return (bits[i >>> 6] & (1L << (i & 63))) != 0;
  }

  private void set(int i) {
    bits[i >>> 6] |= 1L << (i & 63);
  }

  /** Moves every bit i to i + shift, dropping bits that leave the window. */
  private void shiftUp(int shift) {
    int words = shift >>> 6;
    int rem = shift & 63;
    for (int i = bits.length - 1; i >= 0; i--) {
      int src = i - words;
      long v = src >= 0 ? bits[src] << rem : 0;
      if (rem != 0 && src - 1 >= 0) {
        v |= bits[src - 1] >>> (64 - rem);
      }
      bits[i] = v;
    }
  }
}
