package org.fedledger.contracts.fl.aggregation;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Runs randomised rounds (tied scores, duplicate updates, values like +-3e38, denormals)
 * through Multi-Krum, weighted mean, median and trimmed mean, and the selection checks
 * (copies, direction, Krum over a subset), and hashes every score and aggregate bit. {@code main} prints the hash so that a second JVM can be compared with this
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
      checks(md, x, keys, f, rnd);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** The selection checks: delta norms, copy flags, direction cosines, and Krum on a subset. */
  private static void checks(MessageDigest md, float[][] x, long[] keys, int f, SplittableRandom rnd) {
    int n = x.length;
    float[] base = rnd.nextBoolean() ? x[rnd.nextInt(n)].clone() : new float[x[0].length];
    for (int k = 0; k < base.length; k++) {
      if (rnd.nextInt(4) == 0) {
        base[k] = value(rnd);
      }
    }
    double[] norms = SelectionFilters.deltaSquaredNorms(x, base);
    PairwiseDistances dist = PairwiseDistances.of(x);
    boolean[] copies = SelectionFilters.copies(dist, norms, 0.99);
    for (int i = 0; i < n; i++) {
      md.update(ByteBuffer.allocate(9).putDouble(norms[i]).put((byte) (copies[i] ? 1 : 0)).array());
    }
    for (double c : SelectionFilters.directionCosines(x, base)) {
      md.update(ByteBuffer.allocate(8).putDouble(c).array());
    }
    int[] members = java.util.stream.IntStream.range(0, n).filter(i -> i % 3 != 1 || n < 2 * f + 6).toArray();
    if (members.length >= MultiKrum.minimumUpdates(f)) {
      long[] sub = java.util.Arrays.stream(members).mapToLong(i -> keys[i]).toArray();
      Selection s = MultiKrum.select(dist.subset(members), sub, f, 1 + (members.length - f - 1) / 2);
      for (double score : s.scores()) {
        md.update(ByteBuffer.allocate(8).putDouble(score).array());
      }
      for (int i : s.ranking()) {
        md.update((byte) i);
      }
    }
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
