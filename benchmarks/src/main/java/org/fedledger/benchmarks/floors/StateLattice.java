package org.fedledger.benchmarks.floors;

import com.google.protobuf.ByteString;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.LtHash;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The state root's per-entry cost: adding one (key, value) entry to the {@link LtHash} lattice
 * (two SHA-256 of key and value, then the 2 KiB expansion: a SHA-256 of the two digests as
 * the key of 128 blocks of AES-256-CTR), and the root of a lattice (SHA-256 of its 2 KiB). The
 * entry is sized like a nonce window record (a 38-byte key, a 136-byte value); keys differ per
 * call. Run with {@code -prof gc} for the bytes allocated per entry (the key object and the
 * AES key schedule the JDK's cipher builds per key).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class StateLattice {
  private final LtHash lattice = new LtHash();
  private byte[] key;
  private ByteString value;
  private int counter;

  /** Seeded random key and value. */
  @Setup
  public void setup() {
    SplittableRandom random = new SplittableRandom(3);
    key = new byte[38];
    random.nextBytes(key);
    byte[] v = new byte[136];
    random.nextBytes(v);
    value = ByteString.copyFrom(v);
  }

  /** One entry added: its two digests and its expansion. */
  @Benchmark
  public LtHash addEntry() {
    int c = counter++;
    key[0] = (byte) c;
    key[1] = (byte) (c >>> 8);
    lattice.add(ByteString.copyFrom(key), value);
    return lattice;
  }

  /** The root of a lattice. */
  @Benchmark
  public Hash root() {
    return lattice.root();
  }
}
