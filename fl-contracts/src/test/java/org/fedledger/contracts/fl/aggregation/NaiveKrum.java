package org.fedledger.contracts.fl.aggregation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The textbook O(n^2 d) Krum, written for clarity: for each i, the distances to every j != i
 * with the plain sequential fma chain that PairwiseDistances documents, sorted, the n - f - 2 smallest added; then indices sorted by
 * (score, key). The reference of the differential test.
 */
final class NaiveKrum {
  private NaiveKrum() {}

  static double[] scores(float[][] x, int f) {
    int n = x.length;
    double[] scores = new double[n];
    for (int i = 0; i < n; i++) {
      List<Double> dist = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        if (j == i) {
          continue;
        }
        double s = 0;
        for (int k = 0; k < x[i].length; k++) {
          double d = (double) x[i][k] - (double) x[j][k];
          s = Math.fma(d, d, s); // the documented chain of PairwiseDistances
        }
        dist.add(s);
      }
      dist.sort(Comparator.naturalOrder());
      double sum = 0;
      for (int k = 0; k < n - f - 2; k++) {
        sum += dist.get(k);
      }
      scores[i] = sum;
    }
    return scores;
  }

  static List<Integer> ranking(double[] scores, long[] keys) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      idx.add(i);
    }
    idx.sort(Comparator.<Integer>comparingDouble(i -> scores[i]).thenComparingLong(i -> keys[i]));
    return idx;
  }
}
