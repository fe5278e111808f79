package org.fedledger.contracts.fl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.function.UnaryOperator;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.ReputationParams;
import org.fedledger.proto.Role;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** CreateTask is ADMIN-only, validated, and stores version 0 and round 1. */
class TaskCreationTest {
  final FlChain chain = new FlChain();

  private String code(UnaryOperator<CreateTask.Builder> change) {
    return chain.run(chain.createTask(change.apply(FlChain.task("t", 4, AggregationRule.MULTI_KRUM, 1, 3)).build()))
        .getCode();
  }

  @Test
  void createsVersionZeroAndOpensRoundOne() {
    assertThat(code(b -> b)).isEmpty();
    GlobalModel v0 = FlQueries.model(chain.state, "t", 0).orElseThrow();
    assertThat(v0.getSha256()).isEqualTo(Hash.sha256(v0.getWeights()).bytes());
    assertThat(FlQueries.currentRound(chain.state, "t").orElseThrow().getRound()).isEqualTo(1);
    assertThat(FlQueries.taskIds(chain.state)).containsExactly("t");
    assertThat(code(b -> b)).isEqualTo(FlCodes.TASK_EXISTS);
  }

  @Test
  void onlyActiveAdmins() {
    ByteString hospital = FlChain.key(5);
    chain.register(hospital, Role.HOSPITAL, 0);
    var tx = chain.tx(hospital, org.fedledger.proto.Transaction.newBuilder()
        .setCreateTask(FlChain.task("t", 4, AggregationRule.FEDAVG, 0, 0)));
    assertThat(chain.run(tx).getCode()).isEqualTo(FlCodes.NOT_ADMIN);
  }

  @Property(tries = 300)
  void arbitraryParametersAreRefusedWithAReasonNeverACrash(@ForAll int f, @ForAll int m, @ForAll int min,
      @ForAll int max, @ForAll long deadline, @ForAll double bound, @ForAll double decay, @ForAll double threshold,
      @ForAll int minRounds, @ForAll double margin, @ForAll double trim, @ForAll("rules") AggregationRule rule,
      @ForAll @IntRange(min = 0, max = 6) int length) {
    FlChain fresh = new FlChain();
    CreateTask.Builder t = CreateTask.newBuilder().setTaskId("fuzz").setRule(rule).setByzantineF(f).setSelectM(m)
        .setMinUpdates(min).setMaxUpdates(max).setRoundDeadlineBlocks(deadline).setNormBound(bound)
        .setTrimFraction(trim).setInitialWeights(Weights.pack(new float[length]))
        .setReputation(ReputationParams.newBuilder().setDecay(decay).setSuspendThreshold(threshold)
            .setMinRounds(minRounds).setRejectMargin(margin));
    if (length > 0) {
      t.addLayout(org.fedledger.proto.ModelSegment.newBuilder().setName("w").setLength(length));
    }
    var r = fresh.run(fresh.createTask(t.build()));
    assertThat(r.getCode()).isIn("", FlCodes.INVALID_TASK);
  }

  @Provide
  Arbitrary<AggregationRule> rules() {
    return Arbitraries.of(AggregationRule.FEDAVG, AggregationRule.KRUM, AggregationRule.MULTI_KRUM,
        AggregationRule.TRIMMED_MEAN, AggregationRule.MEDIAN, AggregationRule.AGGREGATION_RULE_UNSPECIFIED);
  }

  @Test
  void refusesInconsistentParameters() {
    assertThat(code(b -> b.setTaskId("a/b"))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.clearLayout().setInitialWeights(ByteString.EMPTY))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setInitialWeights(Weights.pack(new float[5])))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setInitialWeights(Weights.pack(new float[] {0, 0, Float.NaN, 0}))))
        .isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setRule(AggregationRule.AGGREGATION_RULE_UNSPECIFIED))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setMinUpdates(4))).isEqualTo(FlCodes.INVALID_TASK); // Krum f=1 needs 5
    assertThat(code(b -> b.setMaxUpdates(4))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setSelectM(0))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setRoundDeadlineBlocks(0))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setNormBound(Double.NaN))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setReputation(ReputationParams.newBuilder().setDecay(1.5)))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setReputation(ReputationParams.newBuilder().setSuspendThreshold(1.0))))
        .isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.addPermitted(ByteString.copyFrom(new byte[3])))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(code(b -> b.setRule(AggregationRule.TRIMMED_MEAN).setTrimFraction(0.5))).isEqualTo(FlCodes.INVALID_TASK);
    assertThat(FlQueries.taskIds(chain.state)).isEmpty();
  }
}
