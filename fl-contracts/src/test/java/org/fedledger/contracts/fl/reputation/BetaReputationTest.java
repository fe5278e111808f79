package org.fedledger.contracts.fl.reputation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The beta reputation: bounds, the documented trajectories, and the outcome rule. */
class BetaReputationTest {
  final BetaReputation rep = new BetaReputation(1, 1, 0.9, 0.3, 3, 4.0);

  @Test
  void alwaysFilteredFallsBelowThresholdAtMinRounds() {
    BetaReputation.Standing s = BetaReputation.fresh();
    double[] expected = {1 / 3.0, 1 / 3.9, 1 / 4.71};
    for (int r = 0; r < 3; r++) {
      s = rep.next(s, Outcome.FILTERED);
      assertThat(rep.score(s)).isCloseTo(expected[r], org.assertj.core.data.Offset.offset(1e-12));
      assertThat(rep.shouldSuspend(s)).isEqualTo(r == 2);
    }
  }

  @Property(tries = 200)
  void neverFilteredNeverDropsBelowOneHalf(@ForAll @IntRange(min = 1, max = 200) int rounds, @ForAll long pattern) {
    BetaReputation.Standing s = BetaReputation.fresh();
    for (int r = 0; r < rounds; r++) {
      s = rep.next(s, ((pattern >>> (r % 64)) & 1) == 0 ? Outcome.SELECTED : Outcome.NOT_SELECTED);
      assertThat(rep.score(s)).isBetween(0.5, 1.0);
      assertThat(rep.shouldSuspend(s)).isFalse();
    }
  }

  @Property(tries = 200)
  void scoreStaysInsideTheUnitInterval(@ForAll @IntRange(min = 1, max = 300) int rounds, @ForAll long seed) {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
    BetaReputation.Standing s = BetaReputation.fresh();
    for (int r = 0; r < rounds; r++) {
      s = rep.next(s, Outcome.values()[rnd.nextInt(3)]);
      assertThat(rep.score(s)).isGreaterThan(0.0).isLessThan(1.0);
    }
  }

  @Test
  void onlyClearLosersAreFiltered() {
    double[] scores = {1, 1.1, 1.2, 3.9, 5.0, 100}; // lower median 1.2, bar 4.8
    boolean[] kept = {true, true, false, false, false, false};
    assertThat(rep.classify(scores, kept)).containsExactly(Outcome.SELECTED, Outcome.SELECTED,
        Outcome.NOT_SELECTED, Outcome.NOT_SELECTED, Outcome.FILTERED, Outcome.FILTERED);
  }

  @Test
  void zeroThresholdDisablesSuspension() {
    BetaReputation lenient = new BetaReputation(1, 1, 0.9, 0.0, 0, 4.0);
    BetaReputation.Standing s = BetaReputation.fresh();
    for (int r = 0; r < 10; r++) {
      s = lenient.next(s, Outcome.FILTERED);
    }
    assertThat(lenient.shouldSuspend(s)).isFalse();
  }

  @Test
  void rejectsOutOfRangeParameters() {
    assertThatThrownBy(() -> new BetaReputation(0, 1, 0.9, 0.3, 3, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BetaReputation(1, 1, 0, 0.3, 3, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BetaReputation(1, 1, 0.9, 1, 3, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BetaReputation(1, 1, 0.9, 0.3, 3, 0.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFilteredUpdateCountsByHowFarPastTheBarItLies() {
    BetaReputation graded = new BetaReputation(1, 1, 0.9, 0.3, 2, 4.0, 2.0);
    assertThat(graded.penalty(5.0, 1.0)).isEqualTo(1.25);
    assertThat(graded.penalty(4.5, 1.0)).isEqualTo(1.125);
    assertThat(graded.penalty(100.0, 1.0)).isEqualTo(2.0);
    assertThat(graded.penalty(1.0, 0.0)).isEqualTo(2.0);
    assertThat(rep.penalty(100.0, 1.0)).isEqualTo(1.0);
    BetaReputation.Standing s = graded.next(BetaReputation.fresh(), Outcome.FILTERED, 2.0);
    s = graded.next(s, Outcome.NOT_SELECTED, 0.0);
    assertThat(s.beta()).isEqualTo(1.8);
    assertThat(graded.shouldSuspend(s)).isTrue(); // 1 / 3.8 < 0.3 in round 2
  }
}
