package org.fedledger.contracts.fl.aggregation;

import java.util.Arrays;

/**
 * The checks that may accompany a Krum selection, for attacks that distances alone miss.
 *
 * <ul>
 *   <li>{@link #copies}: colluders that submit one crafted update (ALIE, Baruch et al. 2019;
 *       IPM, Xie et al. 2019) sit at distance 0 from each other, which is exactly what Krum
 *       rewards. Updates whose deltas to the base model are near-parallel (cosine at least a
 *       bound) with another participant's are marked, so the caller can leave them out.
 *   <li>{@link #directionCosines}: the cosine of each delta with the coordinate-wise median
 *       delta of the round; with an honest majority the median points where the honest
 *       clients go, so a delta against it pulls the model back.
 * </ul>
 *
 * <p>Deterministic: sums are sequential fma chains in index order in double; cosines
 * between deltas come from the exact pairwise distances ({@code |a-b|^2 = |a|^2 + |b|^2 -
 * 2 a.b}), so a pair of identical updates has cosine exactly 1.
 */
public final class SelectionFilters {
  private SelectionFilters() {}

  /** Squared norm of each update's delta to {@code base}. */
  public static double[] deltaSquaredNorms(float[][] vectors, float[] base) {
    double[] out = new double[vectors.length];
    for (int i = 0; i < vectors.length; i++) {
      double acc = 0.0;
      for (int k = 0; k < base.length; k++) {
        double e = (double) vectors[i][k] - (double) base[k];
        acc = Math.fma(e, e, acc);
      }
      out[i] = acc;
    }
    return out;
  }

  /**
   * Marks every update whose delta has a cosine of at least {@code maxSimilarity} with
   * another update's delta. Two updates with a zero delta are copies when they are equal.
   */
  public static boolean[] copies(PairwiseDistances distances, double[] deltaSquaredNorms, double maxSimilarity) {
    int n = distances.count();
    boolean[] copy = new boolean[n];
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        if (cosine(distances.get(i, j), deltaSquaredNorms[i], deltaSquaredNorms[j]) >= maxSimilarity) {
          copy[i] = true;
          copy[j] = true;
        }
      }
    }
    return copy;
  }

  /** Cosine between two deltas from their squared norms and squared distance. */
  static double cosine(double distanceSq, double aSq, double bSq) {
    if (aSq == 0.0 || bSq == 0.0) {
      return distanceSq == 0.0 ? 1.0 : 0.0;
    }
    double c = (aSq + bSq - distanceSq) / (2.0 * StrictMath.sqrt(aSq) * StrictMath.sqrt(bSq));
    return Double.isFinite(c) ? c : 0.0;
  }

  /** Cosine of each update's delta with the coordinate-wise median delta (0 where undefined). */
  public static double[] directionCosines(float[][] vectors, float[] base) {
    int n = vectors.length;
    int[] all = new int[n];
    Arrays.setAll(all, i -> i);
    float[] median = Aggregators.median(vectors, all);
    int d = base.length;
    double[] ref = new double[d];
    double refSq = 0.0;
    for (int k = 0; k < d; k++) {
      ref[k] = (double) median[k] - (double) base[k];
      refSq = Math.fma(ref[k], ref[k], refSq);
    }
    double[] cos = new double[n];
    if (refSq == 0.0 || !Double.isFinite(refSq)) {
      return cos;
    }
    for (int i = 0; i < n; i++) {
      double dot = 0.0;
      double sq = 0.0;
      for (int k = 0; k < d; k++) {
        double e = (double) vectors[i][k] - (double) base[k];
        dot = Math.fma(e, ref[k], dot);
        sq = Math.fma(e, e, sq);
      }
      double c = sq == 0.0 ? 0.0 : dot / (StrictMath.sqrt(sq) * StrictMath.sqrt(refSq));
      cos[i] = Double.isFinite(c) ? c : 0.0;
    }
    return cos;
  }
}
