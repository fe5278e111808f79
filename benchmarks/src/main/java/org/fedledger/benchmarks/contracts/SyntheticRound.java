package org.fedledger.benchmarks.contracts;

import java.util.SplittableRandom;

/**
 * A seeded federated round: {@code n - f} honest updates, each the same underlying model
 * plus small Gaussian noise (clients trained from one base on similar data), and {@code f}
 * Byzantine ones (the model sign-flipped and scaled tenfold). The same arguments always give
 * the same bits, so two runs time the same work.
 */
final class SyntheticRound {
  private SyntheticRound() {}

  /** The Byzantine count used for n updates: n / 10, at least 1 (Krum then needs n >= 5). */
  static int byzantine(int n) {
    return Math.max(1, n / 10);
  }

  /** n update vectors of d float32 parameters; the last f are Byzantine. */
  static float[][] updates(int n, int d, int f, long seed) {
    if (n < 1 || d < 1 || f < 0 || f > n) {
      throw new IllegalArgumentException("need n >= 1, d >= 1, 0 <= f <= n; got n=" + n + " d=" + d + " f=" + f);
    }
    SplittableRandom random = new SplittableRandom(seed);
    float[] model = new float[d];
    for (int k = 0; k < d; k++) {
      model[k] = (float) (random.nextGaussian() * 0.1);
    }
    float[][] out = new float[n][d];
    for (int i = 0; i < n; i++) {
      boolean byzantine = i >= n - f;
      for (int k = 0; k < d; k++) {
        out[i][k] = byzantine
            ? -10.0f * model[k]
            : (float) (model[k] + random.nextGaussian() * 0.01);
      }
    }
    return out;
  }

  /** Claimed sample counts between 100 and 1,099, one per update. */
  static double[] sampleCounts(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = 100 + random.nextInt(1000);
    }
    return out;
  }
}
