package org.fedledger.contracts.fl.aggregation;

import java.util.Arrays;

/**
 * The result of a scoring rule over n updates: one score per input index and the indices
 * ordered best first by (score, tie key). The first {@link #keptCount()} of that order are
 * kept. Arrays are copied in and out, so a selection is immutable.
 */
public final class Selection {

  private final double[] scores;
  private final int[] ranking;
  private final int keptCount;

  /**
   * Creates a selection; {@code ranking} must be a permutation of 0..n-1 and
   * {@code keptCount} at most n.
   */
  public Selection(double[] scores, int[] ranking, int keptCount) {
    if (scores.length != ranking.length || keptCount < 0 || keptCount > ranking.length) {
      throw new IllegalArgumentException("inconsistent selection");
    }
    this.scores = scores.clone();
    this.ranking = ranking.clone();
    this.keptCount = keptCount;
  }

  /** Score of input index i (lower is better). */
  public double score(int i) {
    return scores[i];
  }

  /** All scores, by input index. */
  public double[] scores() {
    return scores.clone();
  }

  /** Every input index, best first. */
  public int[] ranking() {
    return ranking.clone();
  }

  /** The kept input indices, best first: the order in which they are aggregated. */
  public int[] kept() {
    return Arrays.copyOf(ranking, keptCount);
  }

  /** Number of kept updates. */
  public int keptCount() {
    return keptCount;
  }

  /** Whether input index i is kept. */
  public boolean isKept(int i) {
    for (int r = 0; r < keptCount; r++) {
      if (ranking[r] == i) {
        return true;
      }
    }
    return false;
  }
}
