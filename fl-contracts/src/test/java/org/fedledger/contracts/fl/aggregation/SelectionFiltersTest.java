package org.fedledger.contracts.fl.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SelectionFiltersTest {
  static final float[] BASE = {1f, 1f, 1f};

  @Test
  void identicalAndParallelDeltasAreCopiesIndependentOnesAreNot() {
    float[][] v = {
        {2f, 1f, 1f},   // delta (1,0,0)
        {2f, 1f, 1f},   // the same
        {3f, 1f, 1f},   // (2,0,0): parallel
        {1f, 2f, 1f},   // (0,1,0)
        {1f, 1f, 0.5f}, // (0,0,-0.5)
    };
    double[] norms = SelectionFilters.deltaSquaredNorms(v, BASE);
    assertThat(norms).containsExactly(1, 1, 4, 1, 0.25);
    boolean[] copies = SelectionFilters.copies(PairwiseDistances.of(v), norms, 0.99);
    assertThat(copies).containsExactly(true, true, true, false, false);
  }

  @Test
  void twoUpdatesEqualToTheBaseAreCopiesOneIsNot() {
    float[][] v = {BASE.clone(), BASE.clone(), {1f, 2f, 1f}};
    assertThat(SelectionFilters.copies(PairwiseDistances.of(v), SelectionFilters.deltaSquaredNorms(v, BASE), 0.99))
        .containsExactly(true, true, false);
  }

  @Test
  void directionIsMeasuredAgainstTheMedianDelta() {
    float[][] v = {{2f, 2f, 1f}, {2f, 1.5f, 1f}, {1.5f, 2f, 1f}, {0f, 0f, 1f}, {1f, 1f, 1f}};
    double[] cos = SelectionFilters.directionCosines(v, BASE);
    assertThat(cos[0]).isGreaterThan(0.9);
    assertThat(cos[3]).isLessThan(-0.9);
    assertThat(cos[4]).isZero(); // no delta
  }

  @Test
  void aZeroMedianDeltaDisablesTheDirectionCheck() {
    float[][] v = {{2f, 1f, 1f}, BASE.clone(), {0f, 1f, 1f}};
    assertThat(SelectionFilters.directionCosines(v, BASE)).containsExactly(0, 0, 0);
  }
}
