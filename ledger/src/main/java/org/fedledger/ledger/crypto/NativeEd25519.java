package org.fedledger.ledger.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AWS-LC's Ed25519, reached through the JNI library of the Amazon Corretto Crypto Provider
 * (ACCP): on this machine it verifies in ~24 µs where Bouncy Castle takes ~56 µs, and signs in
 * ~6 µs where Bouncy Castle takes ~22 µs.
 *
 * <p>It is an accelerator, never the rule. {@link Ed25519} asks it to sign (RFC 8032 signing is
 * deterministic, so the bytes are the same as Bouncy Castle's; {@link #load} checks that on the
 * RFC's test vector) and to confirm a signature. A "valid" from AWS-LC is final, because AWS-LC
 * checks the stricter, cofactorless equation {@code [S]B = R + [k]A} by comparing encodings:
 * whatever it accepts, with the encodings {@link Ed25519} has checked first, Bouncy Castle's
 * cofactored check accepts too. A "not valid" is handed to Bouncy Castle, which decides (it
 * accepts, for example, a signature whose R carries a small-order component). So every
 * validator gives the same answer whether this class loads or not: on other platforms, with
 * {@code -Dfedledger.crypto.native=false}, or if the library fails its self-test.
 *
 * <p>ACCP is not installed as a JCA provider; only {@link Ed25519} uses it.
 */
final class NativeEd25519 {
  /** System property: {@code false} keeps Ed25519 on Bouncy Castle alone. */
  static final String PROPERTY = "fedledger.crypto.native";

  private static final Logger LOG = LoggerFactory.getLogger(NativeEd25519.class);

  /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw Ed25519 key (RFC 8410). */
  private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
  /** DER prefix of a PKCS #8 PrivateKeyInfo holding a raw Ed25519 seed (RFC 8410). */
  private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");

  /** The loaded accelerator, or null when Bouncy Castle works alone. */
  static final NativeEd25519 INSTANCE = load();

  private final Provider provider;
  private final KeyFactory keys;
  /** One signature object per thread: {@code initSign}/{@code initVerify} reset it for each use. */
  private final ThreadLocal<Signature> signatures;

  private NativeEd25519(Provider provider, KeyFactory keys) {
    this.provider = provider;
    this.keys = keys;
    this.signatures = ThreadLocal.withInitial(this::newSignature);
  }

  /** A short name of what signs and verifies, for logs and benchmark reports. */
  static String implementation() {
    return INSTANCE == null ? "Bouncy Castle" : "AWS-LC via " + INSTANCE.provider.getName() + " "
        + INSTANCE.provider.getVersionStr() + " (Bouncy Castle decides rejections)";
  }

  /** The platform's key for the 32-byte {@code publicKey}; throws if it cannot be made. */
  PublicKey publicKey(byte[] publicKey) throws GeneralSecurityException {
    return keys.generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, publicKey)));
  }

  /** The platform's key for the 32-byte {@code seed}; throws if it cannot be made. */
  PrivateKey privateKey(byte[] seed) throws GeneralSecurityException {
    byte[] der = concat(PKCS8_PREFIX, seed);
    try {
      return keys.generatePrivate(new PKCS8EncodedKeySpec(der));
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** True when AWS-LC accepts {@code signature}; false when it does not (or cannot say). */
  boolean verify(PublicKey key, byte[] message, byte[] signature) {
    Signature s = signatures.get();
    try {
      s.initVerify(key);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException | RuntimeException refused) {
      return false; // Bouncy Castle decides
    }
  }

  /** The signature of {@code message}, or null when AWS-LC could not sign (the caller falls back). */
  byte[] sign(PrivateKey key, byte[] message) {
    Signature s = signatures.get();
    try {
      s.initSign(key);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException | RuntimeException failed) {
      return null;
    }
  }

  private Signature newSignature() {
    try {
      return Signature.getInstance("Ed25519", provider);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 vanished from " + provider.getName(), e);
    }
  }

  private static byte[] concat(byte[] prefix, byte[] raw) {
    byte[] out = Arrays.copyOf(prefix, prefix.length + raw.length);
    System.arraycopy(raw, 0, out, prefix.length, raw.length);
    return out;
  }

  private static NativeEd25519 load() {
    if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
      LOG.info("Ed25519: Bouncy Castle only (-D{}=false)", PROPERTY);
      return null;
    }
    try {
      AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
      Throwable error = accp.getLoadingError();
      if (error != null) {
        LOG.info("Ed25519: Bouncy Castle only (the native library did not load: {})", error.toString());
        return null;
      }
      NativeEd25519 n = new NativeEd25519(accp, KeyFactory.getInstance("Ed25519"));
      String failure = n.selfTest();
      if (failure != null) {
        LOG.warn("Ed25519: Bouncy Castle only (the native library failed its self-test: {})", failure);
        return null;
      }
      LOG.info("Ed25519: AWS-LC via {} {} signs and accepts signatures; Bouncy Castle decides rejections",
          accp.getName(), accp.getVersionStr());
      return n;
    } catch (LinkageError | GeneralSecurityException | RuntimeException unavailable) {
      LOG.info("Ed25519: Bouncy Castle only ({})", unavailable.toString());
      return null;
    }
  }

  /**
   * Signs and verifies RFC 8032 §7.1 TEST 3 (a two-byte message) and checks a tampered
   * signature is refused; returns what went wrong, or null.
   */
  private String selfTest() throws GeneralSecurityException {
    HexFormat hex = HexFormat.of();
    byte[] seed = hex.parseHex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7");
    byte[] pk = hex.parseHex("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025");
    byte[] msg = hex.parseHex("af82");
    byte[] expected = hex.parseHex("6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
    byte[] sig = sign(privateKey(seed), msg);
    if (!Arrays.equals(sig, expected)) {
      return "signature of RFC 8032 test 3 differs";
    }
    PublicKey key = publicKey(pk);
    if (!verify(key, msg, sig)) {
      return "RFC 8032 test 3 does not verify";
    }
    byte[] tampered = sig.clone();
    tampered[5] ^= 1;
    if (verify(key, msg, tampered)) {
      return "a tampered signature verifies";
    }
    return null;
  }
}
