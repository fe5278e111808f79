package org.fedledger.ledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.fedledger.ledger.TestLedger;
import org.junit.jupiter.api.Test;

class Ed25519Test {
  /** RFC 8032 §7.1, TEST 2 (one-byte message 0x72). */
  @Test
  void rfc8032Vector() {
    KeyPair kp = Ed25519.fromSeed(Keys.fromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb").toByteArray());
    assertThat(Keys.hex(kp.publicKey())).isEqualTo("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    ByteString sig = kp.sign(Keys.fromHex("72"));
    assertThat(Keys.hex(sig)).isEqualTo("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
    assertThat(Ed25519.verify(kp.publicKey(), Keys.fromHex("72"), sig)).isTrue();
  }

  /** The fast path (public key given to Bouncy Castle) signs exactly as signing with the seed alone. */
  @Property(tries = 200)
  void keyPairSignIsBitIdenticalToSeedSign(@ForAll @Size(max = 300) byte[] message,
      @ForAll @IntRange(max = 1000) int key) {
    KeyPair kp = TestLedger.key(key);
    ByteString m = ByteString.copyFrom(message);
    assertThat(kp.sign(m)).isEqualTo(Ed25519.sign(kp.secretKey(), m));
  }

  /** A pair whose public key is not its seed's signs with the seed's own key (as before), never with the claimed one. */
  @Test
  void mismatchedPairSignsWithItsSeedsKey() {
    KeyPair real = TestLedger.key(7);
    KeyPair forged = new KeyPair(TestLedger.key(8).publicKey(), real.secretKey());
    ByteString m = ByteString.copyFromUtf8("block 42");
    ByteString sig = forged.sign(m);
    assertThat(sig).isEqualTo(real.sign(m));
    assertThat(Ed25519.verify(real.publicKey(), m, sig)).isTrue();
    assertThat(Ed25519.verify(forged.publicKey(), m, sig)).isFalse();
  }

  @Property(tries = 200)
  void signThenVerify(@ForAll @Size(max = 300) byte[] message, @ForAll @IntRange(max = 1000) int key) {
    KeyPair kp = TestLedger.key(key);
    ByteString m = ByteString.copyFrom(message);
    assertThat(Ed25519.verify(kp.publicKey(), m, kp.sign(m))).isTrue();
  }

  @Property(tries = 200)
  void oneFlippedBitInTheBodyFails(@ForAll("messages") byte[] message, @ForAll @IntRange(max = 100_000) int bit) {
    KeyPair kp = TestLedger.key(1);
    ByteString sig = kp.sign(ByteString.copyFrom(message));
    assertThat(Ed25519.verify(kp.publicKey(), flip(message, bit), sig)).isFalse();
  }

  @Property(tries = 200)
  void oneFlippedBitInTheSignatureFails(@ForAll("messages") byte[] message, @ForAll @IntRange(max = 511) int bit) {
    KeyPair kp = TestLedger.key(1);
    ByteString m = ByteString.copyFrom(message);
    assertThat(Ed25519.verify(kp.publicKey(), m, flip(kp.sign(m).toByteArray(), bit))).isFalse();
  }

  @Property(tries = 200)
  void oneFlippedBitInTheKeyFails(@ForAll("messages") byte[] message, @ForAll @IntRange(max = 255) int bit) {
    KeyPair kp = TestLedger.key(1);
    ByteString m = ByteString.copyFrom(message);
    assertThat(Ed25519.verify(flip(kp.publicKey().toByteArray(), bit), m, kp.sign(m))).isFalse();
  }

  @Property(tries = 300)
  void garbageNeverThrows(@ForAll @Size(max = 70) byte[] key, @ForAll @Size(max = 70) byte[] sig) {
    ByteString m = ByteString.copyFromUtf8("m");
    assertThat(Ed25519.verify(ByteString.copyFrom(key), m, ByteString.copyFrom(sig))).isFalse();
    Ed25519.isValidPublicKey(ByteString.copyFrom(key));
  }

  /**
   * The cached-point verification answers exactly as Bouncy Castle's own byte-array verify, for
   * valid signatures, tampered keys (many of which are not curve points), and each key twice (the
   * second time from the cache).
   */
  @Property(tries = 300)
  void cachedPointVerifyAgreesWithBouncyCastle(@ForAll("messages") byte[] message, @ForAll @IntRange(max = 1000) int key,
      @ForAll @IntRange(min = -1, max = 255) int keyBit, @ForAll @IntRange(min = -1, max = 511) int sigBit) {
    KeyPair kp = TestLedger.key(key);
    byte[] pk = kp.publicKey().toByteArray();
    byte[] sig = kp.sign(ByteString.copyFrom(message)).toByteArray();
    if (keyBit >= 0) {
      pk[keyBit / 8] ^= (byte) (1 << (keyBit % 8));
    }
    if (sigBit >= 0) {
      sig[sigBit / 8] ^= (byte) (1 << (sigBit % 8));
    }
    boolean expected;
    try {
      expected = org.bouncycastle.math.ec.rfc8032.Ed25519.verify(sig, 0, pk, 0, message, 0, message.length);
    } catch (RuntimeException e) {
      expected = false;
    }
    for (int twice = 0; twice < 2; twice++) {
      assertThat(Ed25519.verify(ByteString.copyFrom(pk), ByteString.copyFrom(message), ByteString.copyFrom(sig)))
          .isEqualTo(expected);
    }
  }

  /** Small-order and non-canonical key encodings are refused like Bouncy Castle refuses them. */
  @Test
  void degenerateKeysAgreeWithBouncyCastle() {
    byte[] message = {1, 2, 3};
    byte[] sig = TestLedger.key(1).sign(ByteString.copyFrom(message)).toByteArray();
    String[] keys = {
        "0100000000000000000000000000000000000000000000000000000000000000", // identity (order 1)
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p - 1 (order 2)
        "0000000000000000000000000000000000000000000000000000000000000080", // x = 0 with sign bit
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p + 1, non-canonical
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
    };
    for (String hex : keys) {
      byte[] pk = Keys.fromHex(hex).toByteArray();
      boolean expected;
      try {
        expected = org.bouncycastle.math.ec.rfc8032.Ed25519.verify(sig, 0, pk, 0, message, 0, message.length);
      } catch (RuntimeException e) {
        expected = false;
      }
      assertThat(Ed25519.verify(ByteString.copyFrom(pk), ByteString.copyFrom(message), ByteString.copyFrom(sig)))
          .as(hex).isEqualTo(expected).isFalse();
    }
  }

  @Test
  void wrongLengthsAreRefusedNotThrown() {
    KeyPair kp = TestLedger.key(1);
    ByteString m = ByteString.copyFromUtf8("m");
    ByteString sig = kp.sign(m);
    assertThat(Ed25519.verify(kp.publicKey().substring(1), m, sig)).isFalse();
    assertThat(Ed25519.verify(kp.publicKey(), m, sig.substring(1))).isFalse();
    assertThat(Ed25519.isValidPublicKey(ByteString.copyFrom(new byte[31]))).isFalse();
    assertThat(Ed25519.isValidPublicKey(kp.publicKey())).isTrue();
    assertThat(kp.toString()).doesNotContain(Keys.hex(kp.secretKey()));
  }

  @Provide
  Arbitrary<byte[]> messages() {
    return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(200);
  }

  /** {@code bytes} with bit {@code bit mod 8*length} flipped. */
  static ByteString flip(byte[] bytes, int bit) {
    byte[] c = bytes.clone();
    int b = bit % (8 * c.length);
    c[b / 8] ^= (byte) (1 << (b % 8));
    return ByteString.copyFrom(c);
  }
}
