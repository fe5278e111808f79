package org.fedledger.contracts.fl.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Worked examples for the pure aggregation math. */
class AggregationTest {

  @Test
  void pairwiseDistancesAreSymmetricAndIndexedCorrectly() {
    float[][] x = {{0, 0}, {3, 4}, {6, 8}, {0, 1}};
    PairwiseDistances p = PairwiseDistances.of(x);
    assertThat(p.get(0, 1)).isEqualTo(25.0);
    assertThat(p.get(1, 0)).isEqualTo(25.0);
    assertThat(p.get(0, 2)).isEqualTo(100.0);
    assertThat(p.get(1, 2)).isEqualTo(25.0);
    assertThat(p.get(2, 3)).isEqualTo(36.0 + 49.0);
    assertThat(p.get(3, 3)).isZero();
  }

  @Test
  void distancesSpanSeveralTilesAndSurviveExtremeValues() {
    int d = 3 * PairwiseDistances.TILE + 17;
    float[] a = new float[d];
    float[] b = new float[d];
    for (int k = 0; k < d; k++) {
      a[k] = 3e38f;
      b[k] = -3e38f;
    }
    double diff = 2.0 * (double) 3e38f;
    double expected = d * (diff * diff);
    assertThat(PairwiseDistances.squaredDistance(a, b)).isFinite().isCloseTo(expected,
        org.assertj.core.data.Percentage.withPercentage(1e-9));
    assertThat(PairwiseDistances.of(new float[][] {a, b}).get(0, 1)).isEqualTo(PairwiseDistances.squaredDistance(a, b));
  }

  @Test
  void krumExcludesTheUpdateItselfByIndexNotByZeroDistance() {
    // Two duplicates at 0 and three points at 10, 11, 12; f = 0 so n - f - 2 = 3 neighbours.
    // If a duplicate's own zero were counted instead of its twin, scores would be wrong.
    float[][] x = {{0}, {0}, {10}, {11}, {12}};
    double[] scores = MultiKrum.scores(PairwiseDistances.of(x), 3);
    assertThat(scores[0]).isEqualTo(0 + 100 + 121);
    assertThat(scores[2]).isEqualTo(1 + 4 + 100);
    assertThat(scores[3]).isEqualTo(1 + 1 + 121);
    Selection s = MultiKrum.select(x, new long[] {5, 4, 3, 2, 1}, 0, 2);
    assertThat(s.kept()).containsExactly(2, 3); // 10 (score 105), then 11 (123)
  }

  @Test
  void tiesGoToTheSmallerKey() {
    float[][] x = {{1}, {1}, {1}, {1}, {1}};
    assertThat(MultiKrum.select(x, new long[] {9, 3, 7, 1, 5}, 1, 2).kept()).containsExactly(3, 1);
  }

  @Test
  void krumNeedsTwoFPlusThree() {
    float[][] x = new float[4][2];
    assertThatThrownBy(() -> MultiKrum.select(x, new long[] {1, 2, 3, 4}, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(MultiKrum.minimumUpdates(1)).isEqualTo(5);
  }

  @Test
  void weightedMeanMedianAndTrimmedMean() {
    float[][] x = {{1, 10}, {2, 20}, {3, 30}, {100, -100}};
    assertThat(Aggregators.weightedMean(x, new int[] {0, 1}, new double[] {1, 3, 0, 0})).containsExactly(1.75f, 17.5f);
    assertThat(Aggregators.median(x, new int[] {0, 1, 2, 3})).containsExactly(2.5f, 15f);
    assertThat(Aggregators.median(x, new int[] {0, 1, 3})).containsExactly(2f, 10f);
    assertThat(Aggregators.trimmedMean(x, new int[] {0, 1, 2, 3}, 1)).containsExactly(2.5f, 15f);
    assertThatThrownBy(() -> Aggregators.trimmedMean(x, new int[] {0, 1}, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void meanOfExtremeValuesStaysFinite() {
    float[][] x = {{3e38f}, {3.4e38f}, {Float.MAX_VALUE}};
    float[] m = Aggregators.weightedMean(x, new int[] {0, 1, 2}, new double[] {1e6, 1e6, 1e6});
    assertThat(Float.isFinite(m[0])).isTrue();
  }

  @Test
  void rankingIsATotalOrder() {
    assertThat(Ranking.byScoreThenKey(new double[] {2, 1, 2, 0}, new long[] {4, 3, 1, 2})).containsExactly(3, 1, 2, 0);
    assertThat(Ranking.lowerMedian(new double[] {5, 1, 3, 2})).isEqualTo(2);
  }
}
