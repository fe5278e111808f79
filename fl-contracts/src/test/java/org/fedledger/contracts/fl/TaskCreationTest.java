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
