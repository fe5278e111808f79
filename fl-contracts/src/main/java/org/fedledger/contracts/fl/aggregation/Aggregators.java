package org.fedledger.contracts.fl.aggregation;

import java.util.Arrays;

/**
 * Coordinate-wise aggregation of float32 update vectors: weighted mean, median and trimmed
 * mean. Every sum runs in double, in the order the caller gives (for the mean) or in sorted
 * order of the column (for median and trimmed mean), then rounds once to float; so the
 * result has the same bits on every JVM. Inputs must be finite; outputs are then finite too.
 */
public final class Aggregators {

  private Aggregators() {}

  /**
   * sum_i weights[order[i]] * vectors[order[i]] / sum_i weights[order[i]], accumulated in the
   * order given (the caller passes the filter's ranking, so the order is canonical).
   *
   * @param weights one positive finite weight per vector index
   */
  public static float[] weightedMean(float[][] vectors, int[] order, double[] weights) {
    if (order.length == 0) {
      throw new IllegalArgumentException("mean of nothing");
    }
    int d = vectors[order[0]].length;
    double total = 0.0;
    for (int idx : order) {
      double w = weights[idx];
      if (!(w > 0.0) || Double.isInfinite(w)) {
        throw new IllegalArgumentException("weights must be positive and finite: " + w);
      }
      total += w;
    }
    double[] acc = new double[d];
    for (int idx : order) {
      float[] v = vectors[idx];
      if (v.length != d) {
        throw new IllegalArgumentException("vectors of different lengths");
      }
      double w = weights[idx];
      for (int k = 0; k < d; k++) {
        acc[k] += w * v[k];
      }
    }
    float[] out = new float[d];
    for (int k = 0; k < d; k++) {
      out[k] = (float) (acc[k] / total);
    }
    return out;
  }

  /**
   * Coordinate-wise median of the vectors at {@code members}. For an even count it is the
   * mean of the two middle values, computed in double and rounded once.
   */
  public static float[] median(float[][] vectors, int[] members) {
    int n = members.length;
    if (n == 0) {
      throw new IllegalArgumentException("median of nothing");
    }
    int d = vectors[members[0]].length;
    float[] column = new float[n];
    float[] out = new float[d];
    for (int k = 0; k < d; k++) {
      gather(vectors, members, k, column);
      Arrays.sort(column);
      if ((n & 1) == 1) {
        out[k] = column[n / 2];
      } else {
        out[k] = (float) (((double) column[n / 2 - 1] + (double) column[n / 2]) / 2.0);
      }
    }
    return out;
  }

  /**
   * Coordinate-wise trimmed mean: per coordinate, sort the values of {@code members}, drop
   * {@code trim} values at each end and average the rest smallest first.
   */
  public static float[] trimmedMean(float[][] vectors, int[] members, int trim) {
    int n = members.length;
    if (trim < 0 || n - 2 * trim < 1) {
      throw new IllegalArgumentException("cannot trim " + trim + " from each end of " + n);
    }
    int d = vectors[members[0]].length;
    float[] column = new float[n];
    float[] out = new float[d];
    int kept = n - 2 * trim;
    for (int k = 0; k < d; k++) {
      gather(vectors, members, k, column);
      Arrays.sort(column);
      double sum = 0.0;
      for (int r = trim; r < n - trim; r++) {
        sum += column[r];
      }
      out[k] = (float) (sum / kept);
    }
    return out;
  }

  private static void gather(float[][] vectors, int[] members, int k, float[] column) {
    for (int i = 0; i < members.length; i++) {
      column[i] = vectors[members[i]][k];
    }
  }

  /**
   * Squared L2 distance of every member to {@code center}: the score used by median and
   * trimmed mean to tell how far each update was from what the round decided.
   */
  public static double[] squaredDistancesTo(float[] center, float[][] vectors, int[] members) {
    double[] out = new double[members.length];
    for (int i = 0; i < members.length; i++) {
      out[i] = PairwiseDistances.squaredDistance(center, vectors[members[i]]);
    }
    return out;
  }

  /** Squared L2 norm in double, in the {@link PairwiseDistances} order (distance to zero). */
  public static double squaredNorm(float[] v) {
    return PairwiseDistances.squaredDistance(v, new float[v.length]);
  }
}
