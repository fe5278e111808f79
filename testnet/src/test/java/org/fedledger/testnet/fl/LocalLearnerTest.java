package org.fedledger.testnet.fl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.fedledger.proto.ModelSegment;
import org.junit.jupiter.api.Test;
import org.tribuo.ImmutableDataset;
import org.tribuo.classification.Label;

class LocalLearnerTest {
  static final List<Sample> DATA = Wdbc.load();

  @Test
  void wdbcHasItsDocumentedShape() {
    assertThat(DATA).hasSize(569);
    assertThat(DATA.stream().filter(s -> s.label() == 0).count()).isEqualTo(212);
    assertThat(DATA.get(0).feature(0)).isEqualTo(17.99);
  }

  @Test
  void layoutMatchesTribuoAndTheTaskSegments() {
    assertThat(ModelLayout.LENGTH).isEqualTo(62);
    assertThat(ModelLayout.segments().stream().mapToInt(ModelSegment::getLength).sum()).isEqualTo(62);
    assertThat(ModelLayout.segments().get(0).getName()).isEqualTo("malignant.weights");
    assertThat(ModelLayout.featureMap().getID("f10")).isEqualTo(10);
    assertThat(ModelLayout.labelInfo().getID(new Label("benign"))).isEqualTo(1);
  }

  @Test
  void weightsRoundTripThroughATribuoModelBitExactly() {
    float[] w = new float[ModelLayout.LENGTH];
    for (int k = 0; k < w.length; k++) {
      w[k] = (float) Math.sin(k + 0.5) * (k + 1);
    }
    assertThat(LocalLearner.flatten(LocalLearner.model(w, "t"))).containsExactly(w);
  }

  @Test
  void trainingIsDeterministicAndStartsFromTheGivenModel() {
    Partition p = Partition.of(DATA, 5, 0, 7L, 10, 1.0, 5, 1L);
    Standardiser std = Standardiser.fromStatistics(List.<double[][]>of(Standardiser.statistics(p.shard(0))));
    LocalLearner a = new LocalLearner("a", p.shard(0), std, LocalLearner.Config.standard(3));
    LocalLearner b = new LocalLearner("b", p.shard(0), std, LocalLearner.Config.standard(3));
    float[] zero = new float[ModelLayout.LENGTH];
    float[] first = a.train(zero, 1);
    assertThat(b.train(zero, 1)).containsExactly(first);
    assertThat(first).isNotEqualTo(zero);
    // Warm start: one more round from `first` stays near it, a cold start does not reproduce it.
    float[] second = a.train(first, 2);
    assertThat(second).isNotEqualTo(a.train(zero, 2));
  }

  @Test
  void federatedTrainingLearnsTheHeldOutFold() {
    Partition p = Partition.of(DATA, 5, 1, 7L, 4, 1.0, 5, 2L);
    Standardiser std = Standardiser.fromStatistics(
        List.of(Standardiser.statistics(p.shard(0)), Standardiser.statistics(p.shard(1)),
            Standardiser.statistics(p.shard(2)), Standardiser.statistics(p.shard(3))));
    ImmutableDataset<Label> test = LocalLearner.testSet(p.test(), std);
    float[] global = new float[ModelLayout.LENGTH];
    for (int r = 1; r <= 5; r++) {
      float[] sum = new float[ModelLayout.LENGTH];
      for (int c = 0; c < 4; c++) {
        float[] u = new LocalLearner("c" + c, p.shard(c), std, LocalLearner.Config.standard(c)).train(global, r);
        for (int k = 0; k < sum.length; k++) {
          sum[k] += u[k] / 4f;
        }
      }
      global = sum;
    }
    Evaluation e = LocalLearner.evaluate(global, test);
    assertThat(e.accuracy()).isGreaterThan(0.93);
    assertThat(e.auc()).isGreaterThan(0.97);
  }

  @Test
  void aWrongLengthModelIsRefused() {
    assertThatThrownBy(() -> LocalLearner.toParameters(new float[61])).hasMessageContaining("62");
  }
}
