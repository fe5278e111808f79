package org.fedledger.ledger.crypto;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ed25519 signatures (RFC 8032, pure variant) through Bouncy Castle's low-level
 * implementation, which is much faster than the JDK provider on this platform.
 *
 * <p>{@link #verify} never throws on malformed input: a key or signature of the wrong length
 * simply does not verify.
 */
public final class Ed25519 {
  /** Public key length in bytes. */
  public static final int PUBLIC_KEY_LENGTH = org.bouncycastle.math.ec.rfc8032.Ed25519.PUBLIC_KEY_SIZE;
  /** Private key (seed) length in bytes. */
  public static final int SECRET_KEY_LENGTH = org.bouncycastle.math.ec.rfc8032.Ed25519.SECRET_KEY_SIZE;
  /** Signature length in bytes. */
  public static final int SIGNATURE_LENGTH = org.bouncycastle.math.ec.rfc8032.Ed25519.SIGNATURE_SIZE;

  /** Key pairs whose public key was checked against their seed, and the answer (bounded). */
  private static final Map<KeyPair, Boolean> CHECKED_PAIRS = new ConcurrentHashMap<>();
  /** Most key pairs remembered by {@link #CHECKED_PAIRS} before it is cleared. */
  private static final int CHECKED_PAIRS_MAX = 4_096;

  /**
   * Public keys already decoded to curve points, so that verifying another signature by the
   * same key skips the point decompression (a field exponentiation, about a tenth of a
   * verification). Only keys that decode are kept; bounded, cleared when full.
   */
  private static final Map<ByteString, org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint> POINTS =
      new ConcurrentHashMap<>();
  /** Most public keys remembered by {@link #POINTS} before it is cleared. */
  private static final int POINTS_MAX = 16_384;

  static {
    org.bouncycastle.math.ec.rfc8032.Ed25519.precompute();
  }

  private Ed25519() {}

  /** A new key pair from {@code random}. */
  public static KeyPair generate(SecureRandom random) {
    byte[] seed = new byte[SECRET_KEY_LENGTH];
    random.nextBytes(seed);
    return fromSeed(seed);
  }

  /** The key pair whose private key is the 32-byte {@code seed}. */
  public static KeyPair fromSeed(byte[] seed) {
    if (seed.length != SECRET_KEY_LENGTH) {
      throw new IllegalArgumentException("an Ed25519 private key is 32 bytes, got " + seed.length);
    }
    byte[] pk = new byte[PUBLIC_KEY_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(seed, 0, pk, 0);
    return new KeyPair(ByteString.copyFrom(pk), ByteString.copyFrom(seed));
  }

  /** Signs {@code message} with the private key {@code seed}. */
  public static ByteString sign(ByteString seed, ByteString message) {
    byte[] sk = seed.toByteArray();
    byte[] msg = message.toByteArray();
    byte[] sig = new byte[SIGNATURE_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.sign(sk, 0, msg, 0, msg.length, sig, 0);
    return ByteString.copyFrom(sig);
  }

  /**
   * Signs {@code message} with {@code keys}, bit-identical to {@link #sign(ByteString, ByteString)}
   * with its seed but about twice as fast: Bouncy Castle's {@code sign(sk, msg)} derives the
   * public key again (a second fixed-base scalar multiplication) unless it is given one. The
   * pair's public key is checked against its seed once (then remembered), because signing
   * with a public key that is not the seed's would give a bad signature and could leak the
   * key; a mismatched pair (possible: {@link KeyPair} is a plain record) signs as before.
   */
  static ByteString sign(KeyPair keys, ByteString message) {
    Boolean matches = CHECKED_PAIRS.get(keys);
    if (matches == null) {
      byte[] derived = new byte[PUBLIC_KEY_LENGTH];
      org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(keys.secretKey().toByteArray(), 0, derived, 0);
      matches = keys.publicKey().equals(ByteString.copyFrom(derived));
      if (CHECKED_PAIRS.size() >= CHECKED_PAIRS_MAX) {
        CHECKED_PAIRS.clear();
      }
      CHECKED_PAIRS.put(keys, matches);
    }
    if (!matches) {
      return sign(keys.secretKey(), message);
    }
    byte[] msg = message.toByteArray();
    byte[] sig = new byte[SIGNATURE_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.sign(keys.secretKey().toByteArray(), 0,
        keys.publicKey().toByteArray(), 0, msg, 0, msg.length, sig, 0);
    return ByteString.copyFrom(sig);
  }

  /**
   * True when {@code publicKey} is 32 bytes encoding a point of the curve's prime-order
   * subgroup (RFC 8032 §5.1.3 decoding plus a full subgroup check), i.e. a key someone can
   * actually sign with. Registries use it to refuse garbage keys up front.
   */
  public static boolean isValidPublicKey(ByteString publicKey) {
    if (publicKey.size() != PUBLIC_KEY_LENGTH) {
      return false;
    }
    try {
      return org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyFull(publicKey.toByteArray(), 0);
    } catch (RuntimeException malformed) {
      return false;
    }
  }

  /**
   * True when {@code signature} is a valid signature by {@code publicKey} over {@code message}.
   * Same answers as Bouncy Castle's {@code verify(sig, pk, msg)}: that call checks and decodes
   * the key ({@code validatePublicKeyPartialExport} does exactly those two steps) before the
   * same verification; here the decoded point is remembered per key.
   */
  public static boolean verify(ByteString publicKey, ByteString message, ByteString signature) {
    if (publicKey.size() != PUBLIC_KEY_LENGTH || signature.size() != SIGNATURE_LENGTH) {
      return false;
    }
    try {
      org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint point = point(publicKey);
      if (point == null) {
        return false;
      }
      byte[] msg = message.toByteArray();
      return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(signature.toByteArray(), 0, point, msg, 0, msg.length);
    } catch (RuntimeException malformedPoint) {
      return false;
    }
  }

  /** The decoded point of {@code publicKey}, or null when it is not a valid encoding. */
  private static org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint point(ByteString publicKey) {
    org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint point = POINTS.get(publicKey);
    if (point != null) {
      return point;
    }
    point = org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyPartialExport(publicKey.toByteArray(), 0);
    if (point != null) {
      if (POINTS.size() >= POINTS_MAX) {
        POINTS.clear();
      }
      POINTS.put(ByteString.copyFrom(publicKey.toByteArray()), point); // own copy: never pins a message's buffer
    }
    return point;
  }
}
