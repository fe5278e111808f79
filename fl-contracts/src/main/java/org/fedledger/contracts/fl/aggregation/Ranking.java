package org.fedledger.contracts.fl.aggregation;

/**
 * Deterministic orderings of indices by a double score with a long tie key. Scores are
 * compared with {@link Double#compare}, a total order, so the result is the same on every
 * JVM; an insertion sort keeps it allocation-free and obviously stable for the small n of a
 * federated round.
 */
public final class Ranking {

  private Ranking() {}

  /** Indices 0..n-1 sorted by (score ascending, tie key ascending). Keys must be distinct. */
  public static int[] byScoreThenKey(double[] scores, long[] tieKeys) {
    int n = scores.length;
    if (tieKeys.length != n) {
      throw new IllegalArgumentException("one tie key per score");
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = 1; i < n; i++) {
      int x = order[i];
      int j = i - 1;
      while (j >= 0 && before(x, order[j], scores, tieKeys)) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = x;
    }
    for (int i = 1; i < n; i++) {
      if (tieKeys[order[i - 1]] == tieKeys[order[i]]) {
        throw new IllegalArgumentException("tie keys must be distinct");
      }
    }
    return order;
  }

  private static boolean before(int a, int b, double[] scores, long[] keys) {
    int c = Double.compare(scores[a], scores[b]);
    return c < 0 || (c == 0 && keys[a] < keys[b]);
  }

  /** The lower median of the values: element (n-1)/2 of the sorted copy. */
  public static double lowerMedian(double[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("median of nothing");
    }
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }
}
