package org.fedledger.contracts.fl.aggregation;

import java.util.Arrays;

/**
 * Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer, "Machine Learning with
 * Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017).
 *
 * <p>For n updates of which at most f are Byzantine, the score of update i is the sum of the
 * squared L2 distances to its n - f - 2 nearest <em>other</em> updates (§4, Krum). The update
 * itself is excluded by index, not by assuming its zero distance sorts first, because
 * duplicate updates also have distance zero. Multi-Krum keeps the m updates with the lowest
 * scores; Krum is m = 1. Ties in score are broken by a caller-supplied key (the participant's
 * rank by public key), so the choice never depends on input order.
 *
 * <p>Determinism: every distance is computed once by {@link PairwiseDistances} in its fixed
 * order; each row of distances is sorted (a total order on finite doubles) and its smallest
 * n - f - 2 entries are added smallest first.
 */
public final class MultiKrum {

  private MultiKrum() {}

  /** The least number of updates Krum is defined for: n >= 2f + 3. */
  public static int minimumUpdates(int f) {
    if (f < 0) {
      throw new IllegalArgumentException("f must be >= 0");
    }
    return 2 * f + 3;
  }

  /**
   * Scores all updates and keeps the best {@code m}.
   *
   * @param vectors the updates, all the same length, finite
   * @param tieKeys one distinct key per update; smaller wins a tie in score
   * @param f assumed number of Byzantine updates
   * @param m number of updates to keep, 1 <= m <= n
   */
  public static Selection select(float[][] vectors, long[] tieKeys, int f, int m) {
    return select(PairwiseDistances.of(vectors), tieKeys, f, m);
  }

  /** As {@link #select(float[][], long[], int, int)}, over precomputed distances. */
  public static Selection select(PairwiseDistances distances, long[] tieKeys, int f, int m) {
    int n = distances.count();
    if (tieKeys.length != n) {
      throw new IllegalArgumentException("one tie key per update");
    }
    if (n < minimumUpdates(f)) {
      throw new IllegalArgumentException("Krum needs n >= 2f+3, got n=" + n + " f=" + f);
    }
    if (m < 1 || m > n) {
      throw new IllegalArgumentException("m must be in [1, n], got " + m);
    }
    double[] scores = scores(distances, n - f - 2);
    int[] ranking = Ranking.byScoreThenKey(scores, tieKeys);
    return new Selection(scores, ranking, m);
  }

  /** Each update's sum of squared distances to its {@code neighbours} nearest other updates. */
  static double[] scores(PairwiseDistances distances, int neighbours) {
    int n = distances.count();
    double[] scores = new double[n];
    double[] row = new double[n - 1];
    for (int i = 0; i < n; i++) {
      int c = 0;
      for (int j = 0; j < n; j++) {
        if (j != i) {
          row[c++] = distances.get(i, j);
        }
      }
      Arrays.sort(row);
      double sum = 0.0;
      for (int k = 0; k < neighbours; k++) {
        sum += row[k];
      }
      scores[i] = sum;
    }
    return scores;
  }
}
