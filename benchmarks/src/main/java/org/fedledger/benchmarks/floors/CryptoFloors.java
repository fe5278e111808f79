package org.fedledger.benchmarks.floors;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The physical floors the other figures are read against: one Ed25519 signature, one
 * verification (every validator verifies every transaction once), and SHA-256 over
 * block-sized payloads: 1 KiB (a few transactions), 64 KiB (a batched block) and 1 MiB (a
 * block carrying model updates). {@code ed25519Sign}/{@code ed25519Verify} are what the node
 * uses ({@link Ed25519#implementation()}: AWS-LC where it loads); the {@code BouncyCastle}
 * variants are the pure-Java library alone, given the public key as the node's fallback is.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class CryptoFloors {
  KeyPair key;
  ByteString message;
  ByteString signature;
  byte[] seedBytes;
  byte[] publicKeyBytes;
  byte[] messageBytes;
  byte[] signatureBytes;

  /** Payloads to hash, by size. */
  @State(Scope.Benchmark)
  public static class Payload {
    /** Size in bytes: 1 KiB, 64 KiB, 1 MiB. */
    @Param({"1024", "65536", "1048576"})
    public int payloadBytes;

    byte[] bytes;

    /** Fills the payload with seeded random bytes. */
    @Setup
    public void setup() {
      bytes = new byte[payloadBytes];
      new SplittableRandom(2).nextBytes(bytes);
    }
  }

  /** Builds a key, a 200-byte transaction-sized message and its signature. */
  @Setup
  public void setup() {
    key = Ed25519.generate(new SecureRandom());
    byte[] msg = new byte[200];
    new SplittableRandom(1).nextBytes(msg);
    message = ByteString.copyFrom(msg);
    signature = key.sign(message);
    seedBytes = key.secretKey().toByteArray();
    publicKeyBytes = key.publicKey().toByteArray();
    messageBytes = msg;
    signatureBytes = signature.toByteArray();
    System.out.println("Ed25519: " + Ed25519.implementation());
  }

  /** Ed25519 signature over a 200-byte message. */
  @Benchmark
  public ByteString ed25519Sign() {
    return key.sign(message);
  }

  /** Ed25519 verification of a 200-byte message. */
  @Benchmark
  public boolean ed25519Verify() {
    return Ed25519.verify(key.publicKey(), message, signature);
  }

  /** Bouncy Castle alone: signature over a 200-byte message, public key given. */
  @Benchmark
  public byte[] ed25519SignBouncyCastle() {
    byte[] sig = new byte[Ed25519.SIGNATURE_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.sign(seedBytes, 0, publicKeyBytes, 0, messageBytes, 0,
        messageBytes.length, sig, 0);
    return sig;
  }

  /** Bouncy Castle alone: verification of a 200-byte message. */
  @Benchmark
  public boolean ed25519VerifyBouncyCastle() {
    return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(signatureBytes, 0, publicKeyBytes, 0, messageBytes, 0,
        messageBytes.length);
  }

  /** SHA-256 over a payload of {@link Payload#payloadBytes}. */
  @Benchmark
  public Hash sha256(Payload payload) {
    return Hash.sha256(payload.bytes);
  }
}
