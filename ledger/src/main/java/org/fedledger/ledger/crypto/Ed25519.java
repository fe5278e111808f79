package org.fedledger.ledger.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint;

/**
 * Ed25519 signatures (RFC 8032, pure variant). The rule is Bouncy Castle's verification: S
 * below the group order, R and A canonical encodings, A not of small order, and the
 * cofactored equation {@code [8][S]B = [8]R + [8][k]A}. Where AWS-LC loads
 * ({@link NativeEd25519}, Linux x86-64) it signs and confirms valid signatures about twice as
 * fast; anything it does not confirm goes to Bouncy Castle, so the answers never depend on
 * which implementation a validator has (see {@link #verify}).
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

  /**
   * A key pair checked against its seed: whether its public key is the seed's, and the native
   * signing key when {@link NativeEd25519} is loaded and the pair matches.
   */
  private record SigningKey(boolean matches, PrivateKey nativeKey) {}

  /** A decoded public key: Bouncy Castle's point, and the native key when AWS-LC is loaded. */
  private record VerifyingKey(PublicPoint point, PublicKey nativeKey) {}

  /** Key pairs whose public key was checked against their seed, and the answer (bounded). */
  private static final Map<KeyPair, SigningKey> CHECKED_PAIRS = new ConcurrentHashMap<>();
  /** Most key pairs remembered by {@link #CHECKED_PAIRS} before it is cleared. */
  private static final int CHECKED_PAIRS_MAX = 4_096;

  /**
   * Public keys already decoded to curve points, so that verifying another signature by the
   * same key skips the point decompression (a field exponentiation, about a tenth of a
   * verification). Only keys that decode are kept; bounded, cleared when full.
   */
  private static final Map<ByteString, VerifyingKey> KEYS = new ConcurrentHashMap<>();
  /** Most public keys remembered by {@link #KEYS} before it is cleared. */
  private static final int KEYS_MAX = 16_384;

  /** p = 2^255 - 19, little-endian: an encoded coordinate must be below it. */
  private static final byte[] P = le("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");
  /** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
  private static final byte[] L = le("1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed");

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
   * with its seed but faster: AWS-LC where it is loaded (~4×), else Bouncy Castle given the
   * public key (~2×: its {@code sign(sk, msg)} derives the public key again, a second fixed-base
   * scalar multiplication). The pair's public key is checked against its seed once (then
   * remembered), because signing with a public key that is not the seed's would give a bad
   * signature and could leak the key; a mismatched pair (possible: {@link KeyPair} is a plain
   * record) signs as before.
   */
  static ByteString sign(KeyPair keys, ByteString message) {
    SigningKey key = CHECKED_PAIRS.get(keys);
    if (key == null) {
      key = signingKey(keys);
      if (CHECKED_PAIRS.size() >= CHECKED_PAIRS_MAX) {
        CHECKED_PAIRS.clear();
      }
      CHECKED_PAIRS.put(keys, key);
    }
    if (!key.matches()) {
      return sign(keys.secretKey(), message);
    }
    byte[] msg = message.toByteArray();
    if (key.nativeKey() != null) {
      byte[] sig = NativeEd25519.INSTANCE.sign(key.nativeKey(), msg);
      if (sig != null && sig.length == SIGNATURE_LENGTH) {
        return UnsafeByteOperations.unsafeWrap(sig);
      }
    }
    byte[] sig = new byte[SIGNATURE_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.sign(keys.secretKey().toByteArray(), 0,
        keys.publicKey().toByteArray(), 0, msg, 0, msg.length, sig, 0);
    return ByteString.copyFrom(sig);
  }

  private static SigningKey signingKey(KeyPair keys) {
    byte[] seed = keys.secretKey().toByteArray();
    byte[] derived = new byte[PUBLIC_KEY_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(seed, 0, derived, 0);
    boolean matches = keys.publicKey().equals(ByteString.copyFrom(derived));
    PrivateKey nativeKey = null;
    if (matches && NativeEd25519.INSTANCE != null) {
      try {
        nativeKey = NativeEd25519.INSTANCE.privateKey(seed);
      } catch (GeneralSecurityException | RuntimeException unusable) {
        nativeKey = null; // Bouncy Castle signs
      }
    }
    return new SigningKey(matches, nativeKey);
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
   *
   * <p>With AWS-LC loaded it is asked first, once the key has decoded, R's y is below p and S
   * below L, and its "valid" is returned. That is Bouncy Castle's answer too: AWS-LC accepted
   * only if {@code [S]B - [k]A} encodes to exactly R's bytes (k hashed from the same R, A and
   * message), so R is a canonical encoding of that point, the difference is the neutral element
   * and multiplying it by the cofactor, as Bouncy Castle does, leaves it so. Its "not valid" is
   * not trusted: Bouncy Castle answers (a signature whose R or A has a small-order component
   * can fail the cofactorless check and pass the cofactored one).
   */
  public static boolean verify(ByteString publicKey, ByteString message, ByteString signature) {
    return verify(publicKey, message, signature, NativeEd25519.INSTANCE != null);
  }

  /** {@link #verify(ByteString, ByteString, ByteString)}, asking AWS-LC first only if {@code useNative}. */
  static boolean verify(ByteString publicKey, ByteString message, ByteString signature, boolean useNative) {
    if (publicKey.size() != PUBLIC_KEY_LENGTH || signature.size() != SIGNATURE_LENGTH) {
      return false;
    }
    try {
      VerifyingKey key = key(publicKey);
      if (key == null) {
        return false;
      }
      byte[] msg = message.toByteArray();
      byte[] sig = signature.toByteArray();
      if (useNative && key.nativeKey() != null && below(sig, 0, P, true) && below(sig, 32, L, false)
          && NativeEd25519.INSTANCE.verify(key.nativeKey(), msg, sig)) {
        return true;
      }
      return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(sig, 0, key.point(), msg, 0, msg.length);
    } catch (RuntimeException malformedPoint) {
      return false;
    }
  }

  /** Which implementation signs and verifies in this JVM (for logs and benchmark reports). */
  public static String implementation() {
    return NativeEd25519.implementation();
  }

  /** The decoded {@code publicKey}, or null when it is not a valid encoding. */
  private static VerifyingKey key(ByteString publicKey) {
    VerifyingKey key = KEYS.get(publicKey);
    if (key != null) {
      return key;
    }
    byte[] pk = publicKey.toByteArray(); // own copy: never pins a message's buffer
    PublicPoint point = org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyPartialExport(pk, 0);
    if (point == null) {
      return null;
    }
    PublicKey nativeKey = null;
    if (NativeEd25519.INSTANCE != null) {
      try {
        nativeKey = NativeEd25519.INSTANCE.publicKey(pk);
      } catch (GeneralSecurityException | RuntimeException unusable) {
        nativeKey = null; // Bouncy Castle verifies with this key
      }
    }
    key = new VerifyingKey(point, nativeKey);
    if (KEYS.size() >= KEYS_MAX) {
      KEYS.clear();
    }
    KEYS.put(ByteString.copyFrom(pk), key);
    return key;
  }

  /**
   * True when the 32 little-endian bytes at {@code bytes[offset]} (with the top bit cleared if
   * {@code ignoreTopBit}: a point encoding's x sign) are below the little-endian {@code bound}.
   */
  private static boolean below(byte[] bytes, int offset, byte[] bound, boolean ignoreTopBit) {
    for (int i = 31; i >= 0; i--) {
      int b = bytes[offset + i] & (i == 31 && ignoreTopBit ? 0x7f : 0xff);
      int c = bound[i] & 0xff;
      if (b != c) {
        return b < c;
      }
    }
    return false;
  }

  /** The 32 bytes of a big-endian hex number, little-endian. */
  private static byte[] le(String bigEndianHex) {
    byte[] be = java.util.HexFormat.of().parseHex(bigEndianHex);
    byte[] out = new byte[be.length];
    for (int i = 0; i < be.length; i++) {
      out[i] = be[be.length - 1 - i];
    }
    return out;
  }
}
