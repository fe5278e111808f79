package org.fedledger.testnet.fl;

import java.util.List;

/**
 * Global per-feature standardisation (x - mean) / sd from federated statistics: every client
 * reports (n, sum x, sum x^2) of its shard and the sums are added in client order. A local
 * standardisation would give every client a different input space and break averaging.
 */
public final class Standardiser {
  private final double[] mean;
  private final double[] sd;

  private Standardiser(double[] mean, double[] sd) {
    this.mean = mean;
    this.sd = sd;
  }

  /** One client's sufficient statistics. */
  public static double[][] statistics(List<Sample> shard) {
    double[][] s = new double[3][Wdbc.FEATURES];
    for (Sample p : shard) {
      for (int j = 0; j < Wdbc.FEATURES; j++) {
        double x = p.feature(j);
        s[0][j] += 1.0;
        s[1][j] += x;
        s[2][j] += x * x;
      }
    }
    return s;
  }

  /** Combines the clients' statistics, in the order given. */
  public static Standardiser fromStatistics(List<double[][]> perClient) {
    double[] n = new double[Wdbc.FEATURES];
    double[] sum = new double[Wdbc.FEATURES];
    double[] sumSq = new double[Wdbc.FEATURES];
    for (double[][] s : perClient) {
      for (int j = 0; j < Wdbc.FEATURES; j++) {
        n[j] += s[0][j];
        sum[j] += s[1][j];
        sumSq[j] += s[2][j];
      }
    }
    double[] mean = new double[Wdbc.FEATURES];
    double[] sd = new double[Wdbc.FEATURES];
    for (int j = 0; j < Wdbc.FEATURES; j++) {
      if (n[j] < 2) {
        throw new IllegalArgumentException("need at least 2 samples for feature " + j);
      }
      mean[j] = sum[j] / n[j];
      double var = Math.max(0.0, sumSq[j] / n[j] - mean[j] * mean[j]);
      sd[j] = var > 0.0 ? StrictMath.sqrt(var) : 1.0;
    }
    return new Standardiser(mean, sd);
  }

  /** Standardised feature {@code j} of {@code s}. */
  public double apply(Sample s, int j) {
    return (s.feature(j) - mean[j]) / sd[j];
  }
}
