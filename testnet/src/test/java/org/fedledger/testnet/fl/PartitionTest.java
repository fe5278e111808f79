package org.fedledger.testnet.fl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PartitionTest {
  static final List<Sample> DATA = Wdbc.load();

  @Test
  void foldsAreStratifiedDisjointAndCoverTheData() {
    Set<Sample> tests = new HashSet<>();
    for (int fold = 0; fold < 5; fold++) {
      Partition p = Partition.of(DATA, 5, fold, 7L, 20, 1.0, 5, fold);
      long malignant = p.test().stream().filter(s -> s.label() == 0).count();
      assertThat(p.test().size()).isBetween(113, 115);
      assertThat(malignant).isBetween(42L, 43L);
      for (Sample s : p.test()) {
        assertThat(tests.add(s)).isTrue();
      }
      List<Sample> all = new ArrayList<>(p.test());
      for (int c = 0; c < p.clients(); c++) {
        assertThat(p.shard(c).size()).isGreaterThanOrEqualTo(5);
        all.addAll(p.shard(c));
      }
      assertThat(new HashSet<>(all)).hasSize(569);
    }
    assertThat(tests).hasSize(569);
  }

  @Test
  void shardsAreLabelSkewedAndDeterministic() {
    Partition a = Partition.of(DATA, 5, 0, 7L, 20, 0.5, 5, 11L);
    Partition b = Partition.of(DATA, 5, 0, 7L, 20, 0.5, 5, 11L);
    double minShare = 1;
    double maxShare = 0;
    for (int c = 0; c < 20; c++) {
      assertThat(a.shard(c)).isEqualTo(b.shard(c));
      double share = a.shard(c).stream().filter(s -> s.label() == 0).count() / (double) a.shard(c).size();
      minShare = Math.min(minShare, share);
      maxShare = Math.max(maxShare, share);
    }
    // Overall 37 % malignant; Dirichlet(0.5) spreads the clients far from it.
    assertThat(minShare).isLessThan(0.15);
    assertThat(maxShare).isGreaterThan(0.7);
  }

  @Test
  void gaussianQuantileMatchesKnownValues() {
    assertThat(Gaussian.quantile(0.975)).isCloseTo(1.959964, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(Gaussian.quantile(0.75)).isCloseTo(0.674490, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(Gaussian.quantile(0.01)).isCloseTo(-2.326348, org.assertj.core.data.Offset.offset(1e-6));
  }
}
