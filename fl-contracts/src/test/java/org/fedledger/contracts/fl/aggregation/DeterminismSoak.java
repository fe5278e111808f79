package org.fedledger.contracts.fl.aggregation;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Runs randomised rounds (tied scores, duplicate updates, values like +-3e38, denormals)
 * through Multi-Krum, weighted mean, median and trimmed mean, and hashes every score and
 * aggregate bit. {@code main} prints the hash so that a second JVM can be compared with this
 * one: the same seed must give the same hash everywhere.
 */
public final class DeterminismSoak {
  private DeterminismSoak() {}

  /** Usage: DeterminismSoak rounds seed — prints the SHA-256 hex of all results. */
  public static void main(String[] args) {
    System.out.println(run(Integer.parseInt(args[0]), Long.parseLong(args[1])));
  }

  /** The hash of {@code rounds} randomised rounds from {@code seed}. */
  public static String run(int rounds, long seed) {
    MessageDigest md = sha256();
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int r = 0; r < rounds; r++) {
      int f = rnd.nextInt(0, 4);
      int n = 2 * f + 3 + rnd.nextInt(0, 8);
      int d = 1 + rnd.nextInt(0, 96);
      float[][] x = new float[n][d];
      for (int i = 0; i < n; i++) {
        if (i > 0 && rnd.nextInt(3) == 0) {
          x[i] = x[rnd.nextInt(i)].clone();
          continue;
        }
        for (int k = 0; k < d; k++) {
          x[i][k] = value(rnd);
        }
      }
      long[] keys = new long[n];
      double[] weights = new double[n];
      for (int i = 0; i < n; i++) {
        keys[i] = i * 7919L % 104729L;
        weights[i] = 1 + rnd.nextInt(1_000_000);
      }
      int m = 1 + rnd.nextInt(n - f);
      Selection s = MultiKrum.select(x, keys, f, m);
      for (double score : s.scores()) {
        md.update(ByteBuffer.allocate(8).putDouble(score).array());
      }
      for (int i : s.ranking()) {
        md.update((byte) i);
      }
      hash(md, Aggregators.weightedMean(x, s.kept(), weights));
      int[] all = s.ranking();
      hash(md, Aggregators.median(x, all));
      hash(md, Aggregators.trimmedMean(x, all, f));
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static float value(SplittableRandom rnd) {
    switch (rnd.nextInt(6)) {
      case 0:
        return rnd.nextBoolean() ? 3e38f : -3e38f;
      case 1:
        return Float.MIN_VALUE * rnd.nextInt(-5000, 5000); // denormals and zeros
      case 2:
        return rnd.nextInt(-3, 4); // small integers: many exact ties
      case 3: {
        float v = Float.intBitsToFloat(rnd.nextInt());
        return Float.isFinite(v) ? v : 1f;
      }
      default:
        return (float) rnd.nextGaussian();
    }
  }

  private static void hash(MessageDigest md, float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length);
    for (float a : v) {
      b.putInt(Float.floatToRawIntBits(a));
    }
    md.update(b.array());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
