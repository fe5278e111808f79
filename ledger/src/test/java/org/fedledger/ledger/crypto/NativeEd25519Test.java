package org.fedledger.ledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.google.protobuf.ByteString;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.fedledger.ledger.TestLedger;
import org.junit.jupiter.api.Test;

/**
 * AWS-LC as an accelerator: wherever it is loaded, {@link Ed25519} answers exactly as Bouncy
 * Castle alone, including on the signatures where the two libraries' own rules differ
 * (cofactorless against cofactored verification), which are crafted here from a known secret
 * scalar by adding the order-2 point T = (0, -1) to R or to A.
 */
class NativeEd25519Test {
  private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  private static final BigInteger L =
      BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));

  /** On Linux x86-64 (where CI runs) the native library must load, or the fast path is untested. */
  @Test
  void awsLcIsLoadedOnLinuxX8664() {
    assumeThat(System.getProperty("os.name")).isEqualTo("Linux");
    assumeThat(System.getProperty("os.arch")).isIn("amd64", "x86_64");
    assumeThat(Boolean.parseBoolean(System.getProperty(NativeEd25519.PROPERTY, "true"))).isTrue();
    assertThat(NativeEd25519.INSTANCE).isNotNull();
    assertThat(Ed25519.implementation()).startsWith("AWS-LC via AmazonCorrettoCryptoProvider");
  }

  /** AWS-LC's signatures are Bouncy Castle's, byte for byte (RFC 8032 signing is deterministic). */
  @Property(tries = 200)
  void nativeSignaturesAreBouncyCastles(@ForAll @Size(max = 300) byte[] message, @ForAll @IntRange(max = 1000) int key) {
    KeyPair kp = TestLedger.key(key);
    byte[] expected = new byte[Ed25519.SIGNATURE_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.sign(kp.secretKey().toByteArray(), 0, message, 0, message.length, expected, 0);
    assertThat(kp.sign(ByteString.copyFrom(message)).toByteArray()).isEqualTo(expected);
  }

  /** R + T: the cofactorless check (AWS-LC) refuses it, the cofactored rule accepts it, and so does verify. */
  @Property(tries = 50)
  void smallOrderComponentInRIsDecidedByBouncyCastle(@ForAll @Size(max = 100) byte[] message,
      @ForAll @IntRange(max = 1000) int key) {
    KeyPair kp = TestLedger.key(key);
    byte[] sig = signWithTorsionInR(kp, message);
    byte[] pk = kp.publicKey().toByteArray();
    assertThat(org.bouncycastle.math.ec.rfc8032.Ed25519.verify(sig, 0, pk, 0, message, 0, message.length)).isTrue();
    if (NativeEd25519.INSTANCE != null) {
      assertThat(NativeEd25519.INSTANCE.verify(nativeKey(pk), message, sig)).isFalse();
    }
    assertThat(verifyBothWays(pk, message, sig)).isTrue();
  }

  /** A' = A + T signs (with an odd k) what only the cofactored rule accepts; verify follows the rule. */
  @Test
  void mixedOrderKeyIsDecidedByBouncyCastle() {
    KeyPair kp = TestLedger.key(3);
    byte[] pk = plusT(kp.publicKey().toByteArray());
    int tried = 0;
    for (int i = 0; i < 64; i++) {
      byte[] message = ("message " + i).getBytes(StandardCharsets.UTF_8);
      byte[] sig = sign(kp, pk, message, null);
      boolean kOdd = k(Arrays.copyOf(sig, 32), pk, message).testBit(0);
      boolean expected = org.bouncycastle.math.ec.rfc8032.Ed25519.verify(sig, 0, pk, 0, message, 0, message.length);
      assertThat(expected).as("cofactored rule, k %s", kOdd ? "odd" : "even").isTrue();
      assertThat(verifyBothWays(pk, message, sig)).isTrue();
      tried += kOdd ? 1 : 0;
    }
    assertThat(tried).as("signatures whose cofactorless check fails").isPositive();
  }

  /** S + L (a non-canonical scalar) is refused by every path. */
  @Test
  void scalarNotReducedIsRefused() {
    KeyPair kp = TestLedger.key(5);
    byte[] message = {9, 8, 7};
    byte[] sig = kp.sign(ByteString.copyFrom(message)).toByteArray();
    byte[] s = le(leInt(sig, 32).add(L));
    System.arraycopy(s, 0, sig, 32, 32);
    assertThat(org.bouncycastle.math.ec.rfc8032.Ed25519.verify(sig, 0, kp.publicKey().toByteArray(), 0, message, 0, 3))
        .isFalse();
    assertThat(verifyBothWays(kp.publicKey().toByteArray(), message, sig)).isFalse();
  }

  /** Random bit flips in key, signature or message: both paths give Bouncy Castle's answer. */
  @Property(tries = 300)
  void bothPathsAgreeWithBouncyCastle(@ForAll @Size(min = 1, max = 200) byte[] message,
      @ForAll @IntRange(max = 1000) int key, @ForAll @IntRange(min = -1, max = 1023) int bit,
      @ForAll boolean torsion) {
    KeyPair kp = TestLedger.key(key);
    byte[] pk = kp.publicKey().toByteArray();
    byte[] sig = torsion ? signWithTorsionInR(kp, message) : kp.sign(ByteString.copyFrom(message)).toByteArray();
    if (bit >= 0 && bit < 256) {
      pk[bit / 8] ^= (byte) (1 << (bit % 8));
    } else if (bit >= 256 && bit < 768) {
      sig[(bit - 256) / 8] ^= (byte) (1 << (bit % 8));
    } else if (bit >= 768) {
      message[(bit - 768) / 8 % message.length] ^= (byte) (1 << (bit % 8));
    }
    boolean expected;
    try {
      expected = org.bouncycastle.math.ec.rfc8032.Ed25519.verify(sig, 0, pk, 0, message, 0, message.length);
    } catch (RuntimeException e) {
      expected = false;
    }
    assertThat(verifyBothWays(pk, message, sig)).isEqualTo(expected);
  }

  /** Ed25519.verify with AWS-LC asked first and with Bouncy Castle alone; fails if they differ. */
  private static boolean verifyBothWays(byte[] pk, byte[] message, byte[] sig) {
    ByteString k = ByteString.copyFrom(pk);
    ByteString m = ByteString.copyFrom(message);
    ByteString s = ByteString.copyFrom(sig);
    boolean fast = Ed25519.verify(k, m, s, true);
    boolean rule = Ed25519.verify(k, m, s, false);
    assertThat(fast).as("AWS-LC first vs Bouncy Castle alone").isEqualTo(rule);
    assertThat(Ed25519.verify(k, m, s)).isEqualTo(rule);
    return rule;
  }

  private static java.security.PublicKey nativeKey(byte[] pk) {
    try {
      return NativeEd25519.INSTANCE.publicKey(pk);
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** A signature by {@code kp} whose R is [r]B + T (T of order 2) and S = r + k·a for that R. */
  private static byte[] signWithTorsionInR(KeyPair kp, byte[] message) {
    byte[] pk = kp.publicKey().toByteArray();
    byte[] honest = kp.sign(ByteString.copyFrom(message)).toByteArray();
    BigInteger a = secretScalar(kp);
    BigInteger r = leInt(honest, 32).subtract(k(Arrays.copyOf(honest, 32), pk, message).multiply(a)).mod(L);
    return sign(kp, pk, message, plusT(Arrays.copyOf(honest, 32)), r);
  }

  /** A signature by {@code kp}'s scalar, hashing {@code pk} as the key; R = [r]B with {@code r} from the honest signature. */
  private static byte[] sign(KeyPair kp, byte[] pk, byte[] message, byte[] rOverride) {
    byte[] honest = kp.sign(ByteString.copyFrom(message)).toByteArray();
    BigInteger a = secretScalar(kp);
    BigInteger r = leInt(honest, 32).subtract(k(Arrays.copyOf(honest, 32), kp.publicKey().toByteArray(), message)
        .multiply(a)).mod(L);
    return sign(kp, pk, message, rOverride == null ? Arrays.copyOf(honest, 32) : rOverride, r);
  }

  private static byte[] sign(KeyPair kp, byte[] pk, byte[] message, byte[] rBytes, BigInteger r) {
    BigInteger s = r.add(k(rBytes, pk, message).multiply(secretScalar(kp))).mod(L);
    byte[] sig = Arrays.copyOf(rBytes, 64);
    System.arraycopy(le(s), 0, sig, 32, 32);
    return sig;
  }

  /** The encoding of P + T for T = (0, -1): (x, y) becomes (-x, -y). */
  private static byte[] plusT(byte[] point) {
    boolean xOdd = (point[31] & 0x80) != 0;
    BigInteger y = leInt(point, 0).clearBit(255);
    byte[] out = le(P.subtract(y).mod(P));
    if (!xOdd) {
      out[31] |= (byte) 0x80; // x != 0 for these points: -x has the other parity
    }
    return out;
  }

  private static BigInteger secretScalar(KeyPair kp) {
    byte[] h = sha512(kp.secretKey().toByteArray());
    h[0] &= (byte) 248;
    h[31] &= 127;
    h[31] |= 64;
    return leInt(h, 0);
  }

  private static BigInteger k(byte[] r, byte[] pk, byte[] message) {
    byte[] h = sha512(r, pk, message);
    byte[] be = new byte[64];
    for (int i = 0; i < 64; i++) {
      be[i] = h[63 - i];
    }
    return new BigInteger(1, be).mod(L);
  }

  private static byte[] sha512(byte[]... parts) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-512");
      for (byte[] p : parts) {
        d.update(p);
      }
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The 32 little-endian bytes at {@code offset} as an unsigned integer. */
  private static BigInteger leInt(byte[] b, int offset) {
    byte[] be = new byte[32];
    for (int i = 0; i < 32; i++) {
      be[i] = b[offset + 31 - i];
    }
    return new BigInteger(1, be);
  }

  /** {@code v} (below 2^256) as 32 little-endian bytes. */
  private static byte[] le(BigInteger v) {
    byte[] be = v.toByteArray();
    byte[] out = new byte[32];
    for (int i = 0; i < 32 && i < be.length; i++) {
      out[i] = be[be.length - 1 - i];
    }
    return out;
  }
}
