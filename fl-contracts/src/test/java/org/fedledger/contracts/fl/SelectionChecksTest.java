package org.fedledger.contracts.fl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.ReputationParams;
import org.fedledger.proto.ReputationStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.SelectionChecks;
import org.fedledger.proto.Submission;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateOutcome;
import org.junit.jupiter.api.Test;

/**
 * Multi-Krum's checks: colluders that submit one crafted update sit at distance 0 from each
 * other, which Krum rewards; the collusion check filters them. Updates that point against
 * the median delta are left out by the direction check, neutrally.
 */
class SelectionChecksTest {
  static final int D = 6;
  final FlChain chain = new FlChain();
  final List<ByteString> honest = new ArrayList<>();
  final List<ByteString> colluders = List.of(FlChain.key(7), FlChain.key(8), FlChain.key(9));
  final SplittableRandom rnd = new SplittableRandom(9);

  SelectionChecksTest() {
    for (int i = 0; i < 8; i++) {
      honest.add(FlChain.key(100 + i));
      chain.register(honest.get(i), Role.HOSPITAL, 0);
    }
    for (ByteString c : colluders) {
      chain.register(c, Role.HOSPITAL, 0);
    }
  }

  private void create(SelectionChecks checks) {
    CreateTask.Builder t = FlChain.task("t", D, AggregationRule.MULTI_KRUM, 3, 8).setMinUpdates(11).setMaxUpdates(11)
        .setReputation(ReputationParams.newBuilder().setSuspendThreshold(0.3).setMinRounds(2).setMaxPenalty(2));
    if (checks != null) {
      t.setChecks(checks);
    }
    Receipt r = chain.run(chain.createTask(t.build()));
    assertThat(r.getStatus()).as(r.getReason()).isEqualTo(ReceiptStatus.SUCCESS);
  }

  /**
   * Honest deltas of +1 per coordinate plus uniform noise in [-3, 3] (heterogeneous clients);
   * the colluders all send a delta of -0.2: inside the honest cloud (Krum likes it), but
   * against the honest direction.
   */
  private RoundState round(long round) {
    List<Transaction> txs = new ArrayList<>();
    float[] base = org.fedledger.contracts.fl.Weights.unpack(FlQueries.latestModel(chain.state, "t").orElseThrow()
        .getWeights());
    for (ByteString h : honest) {
      float[] w = base.clone();
      for (int k = 0; k < D; k++) {
        w[k] += (float) (1.0 + 3.0 * (rnd.nextDouble() - 0.5) * 2);
      }
      txs.add(chain.submit(h, FlChain.update("t", round, round - 1, w, 10)));
    }
    for (ByteString c : colluders) {
      float[] w = base.clone();
      for (int k = 0; k < D; k++) {
        w[k] -= 0.2f;
      }
      txs.add(chain.submit(c, FlChain.update("t", round, round - 1, w, 10)));
    }
    chain.block(txs.toArray(new Transaction[0]));
    return FlQueries.round(chain.state, "t", round).orElseThrow();
  }

  private static UpdateOutcome outcome(RoundState r, ByteString who) {
    return r.getSubmissionsList().stream().filter(s -> s.getParticipant().equals(who)).findFirst()
        .map(Submission::getOutcome).orElseThrow();
  }

  @Test
  void withoutChecksKrumKeepsTheColludersCopies() {
    create(null);
    RoundState r = round(1);
    for (ByteString c : colluders) {
      assertThat(outcome(r, c)).isEqualTo(UpdateOutcome.SELECTED);
    }
  }

  @Test
  void theCollusionCheckFiltersCopiesWithFullPenaltyAndSuspendsThem() {
    create(SelectionChecks.newBuilder().setMaxSimilarity(0.99).build());
    RoundState r1 = round(1);
    for (ByteString c : colluders) {
      assertThat(outcome(r1, c)).isEqualTo(UpdateOutcome.FILTERED);
      assertThat(FlQueries.reputation(chain.state, "t", c).orElseThrow().getBeta()).isEqualTo(2.0);
    }
    GlobalModel m = FlQueries.latestModel(chain.state, "t").orElseThrow();
    assertThat(m.getContributorsList()).noneMatch(x -> colluders.contains(x.getParticipant()));
    round(2);
    for (ByteString c : colluders) {
      assertThat(FlQueries.reputation(chain.state, "t", c).orElseThrow().getStatus())
          .isEqualTo(ReputationStatus.SUSPENDED_ON_TASK);
    }
    for (ByteString h : honest) {
      assertThat(FlQueries.reputation(chain.state, "t", h).orElseThrow().getStatus())
          .isEqualTo(ReputationStatus.IN_GOOD_STANDING);
    }
  }

  @Test
  void theDirectionCheckLeavesOutUpdatesAgainstTheMedianNeutrally() {
    create(SelectionChecks.newBuilder().setDirection(true).build());
    RoundState r = round(1);
    GlobalModel m = FlQueries.latestModel(chain.state, "t").orElseThrow();
    for (ByteString c : colluders) {
      assertThat(outcome(r, c)).isEqualTo(UpdateOutcome.NOT_SELECTED);
      assertThat(FlQueries.reputation(chain.state, "t", c).orElseThrow().getBeta()).isZero();
    }
    assertThat(m.getContributorsList()).noneMatch(x -> colluders.contains(x.getParticipant()));
  }

  @Test
  void checksAreRefusedForRulesOtherThanKrum() {
    Receipt r = chain.run(chain.createTask(FlChain.task("m", D, AggregationRule.MEDIAN, 1, 1)
        .setChecks(SelectionChecks.newBuilder().setDirection(true)).build()));
    assertThat(r.getCode()).isEqualTo(FlCodes.INVALID_TASK);
    Receipt bad = chain.run(chain.createTask(FlChain.task("k", D, AggregationRule.MULTI_KRUM, 1, 1)
        .setChecks(SelectionChecks.newBuilder().setMaxSimilarity(1.5)).build()));
    assertThat(bad.getCode()).isEqualTo(FlCodes.INVALID_TASK);
    Receipt penalty = chain.run(chain.createTask(FlChain.task("p", D, AggregationRule.MULTI_KRUM, 1, 1)
        .setReputation(ReputationParams.newBuilder().setMaxPenalty(0.5)).build()));
    assertThat(penalty.getCode()).isEqualTo(FlCodes.INVALID_TASK);
  }
}
