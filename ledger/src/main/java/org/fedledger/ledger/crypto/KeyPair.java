package org.fedledger.ledger.crypto;

import com.google.protobuf.ByteString;

/**
 * An Ed25519 key pair. {@code secretKey} is the 32-byte RFC 8032 seed.
 *
 * <p>{@link #toString()} never prints the secret.
 */
public record KeyPair(ByteString publicKey, ByteString secretKey) {
  /** Checks the lengths. */
  public KeyPair {
    if (publicKey.size() != Ed25519.PUBLIC_KEY_LENGTH) {
      throw new IllegalArgumentException("public key must be 32 bytes, got " + publicKey.size());
    }
    if (secretKey.size() != Ed25519.SECRET_KEY_LENGTH) {
      throw new IllegalArgumentException("secret key must be 32 bytes, got " + secretKey.size());
    }
  }

  /** Signs {@code message} (without deriving the public key again: see {@link Ed25519}). */
  public ByteString sign(ByteString message) {
    return Ed25519.sign(this, message);
  }

  @Override
  public String toString() {
    return "KeyPair[publicKey=" + Keys.hex(publicKey) + "]";
  }
}
