package org.fedledger.contracts.fl.aggregation;

import java.util.Arrays;

/**
 * Coordinate-wise aggregation of float32 update vectors: weighted mean, median and trimmed
 * mean. Every sum runs in double, in the order the caller gives (for the mean) or in sorted
 * order of the column (for median and trimmed mean), then rounds once to float; so the
 * result has the same bits on every JVM. Inputs must be finite; outputs are then finite too.
 */
public final class Aggregators {
  /** Coordinates per tile of the coordinate-wise rules: a cache-size choice only. */
  private static final int TILE = 64;

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
   * mean of the two middle values, computed in double and rounded once. The middle values
   * are found by selection on {@link ColumnOrder} keys: the same values sorting the column
   * with {@link Arrays#sort(float[])} would put there.
   */
  public static float[] median(float[][] vectors, int[] members) {
    int n = members.length;
    if (n == 0) {
      throw new IllegalArgumentException("median of nothing");
    }
    int d = commonLength(vectors, members);
    int[][] tile = new int[TILE][n];
    float[] out = new float[d];
    for (int start = 0; start < d; start += TILE) {
      int len = Math.min(TILE, d - start);
      gatherKeys(vectors, members, start, len, tile);
      for (int k = 0; k < len; k++) {
        int[] column = tile[k];
        float upper = ColumnOrder.value(ColumnOrder.select(column, n / 2));
        if ((n & 1) == 1) {
          out[start + k] = upper;
        } else {
          // select() left the n/2 smallest values before index n/2; the lower middle is their max.
          float lower = ColumnOrder.value(ColumnOrder.maxOfPrefix(column, n / 2));
          out[start + k] = (float) (((double) lower + (double) upper) / 2.0);
        }
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
    int d = commonLength(vectors, members);
    int[][] tile = new int[TILE][n];
    float[] out = new float[d];
    int kept = n - 2 * trim;
    for (int start = 0; start < d; start += TILE) {
      int len = Math.min(TILE, d - start);
      gatherKeys(vectors, members, start, len, tile);
      for (int k = 0; k < len; k++) {
        int[] column = tile[k];
        Arrays.sort(column); // int keys sort exactly as Arrays.sort(float[]) sorts the values
        double sum = 0.0;
        for (int r = trim; r < n - trim; r++) {
          sum += ColumnOrder.value(column[r]);
        }
        out[start + k] = (float) (sum / kept);
      }
    }
    return out;
  }

  private static int commonLength(float[][] vectors, int[] members) {
    int d = vectors[members[0]].length;
    for (int i : members) {
      if (vectors[i].length != d) {
        throw new IllegalArgumentException("vectors of different lengths: " + vectors[i].length + " vs " + d);
      }
    }
    return d;
  }

  /** tile[k][i] = key of vectors[members[i]][start + k] for k < len: columns, contiguous. */
  private static void gatherKeys(float[][] vectors, int[] members, int start, int len, int[][] tile) {
    for (int i = 0; i < members.length; i++) {
      float[] v = vectors[members[i]];
      for (int k = 0; k < len; k++) {
        tile[k][i] = ColumnOrder.key(v[start + k]);
      }
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
