package org.fedledger.contracts.fl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.Event;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.ReputationStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.RoundStatus;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.Test;

/**
 * Once a task has suspended its attackers, only the honest n - f clients submit, fewer than
 * the 2f + 3 Multi-Krum needs for the task's f. The round must still close: each suspended
 * participant lowers the f the round closes under.
 */
class SuspendedAttackersTest {
  static final int D = 8;

  @Test
  void roundsKeepClosingAfterTheAttackersAreSuspended() {
    FlChain chain = new FlChain();
    List<ByteString> honest = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      honest.add(FlChain.key(100 + i));
      chain.register(honest.get(i), Role.HOSPITAL, 0);
    }
    List<ByteString> attackers = List.of(FlChain.key(7), FlChain.key(8));
    for (ByteString a : attackers) {
      chain.register(a, Role.HOSPITAL, 0);
    }
    // f = 2: Multi-Krum needs 7 updates, exactly what arrives while the attackers take part.
    assertThat(chain.run(chain.createTask(FlChain.task("t", D, AggregationRule.MULTI_KRUM, 2, 3)
        .setMinUpdates(7).setMaxUpdates(7).setRoundDeadlineBlocks(2).build())).getStatus())
        .isEqualTo(ReceiptStatus.SUCCESS);
    SplittableRandom rnd = new SplittableRandom(5);
    for (int round = 1; round <= 6; round++) {
      List<Transaction> txs = new ArrayList<>();
      for (ByteString h : honest) {
        txs.add(chain.submit(h, FlChain.update("t", round, round - 1, vector(1.0, 0.01, rnd), 10)));
      }
      for (ByteString a : attackers) {
        txs.add(chain.submit(a, FlChain.update("t", round, round - 1, vector(-50.0, 0.01, rnd), 10)));
      }
      chain.block(txs.toArray(new Transaction[0]));
      long start = chain.height;
      while (FlQueries.round(chain.state, "t", round).orElseThrow().getStatus() == RoundStatus.ROUND_OPEN) {
        assertThat(chain.height - start).as("round " + round + " closes by its deadline").isLessThan(3);
        chain.block();
      }
      RoundState closed = FlQueries.round(chain.state, "t", round).orElseThrow();
      if (round <= 3) {
        assertThat(closed.getSubmissionsCount()).isEqualTo(7);
        assertThat(closed.getCloseReason()).isEqualTo("QUORUM");
      } else {
        assertThat(closed.getSubmissionsCount()).as("attackers refused").isEqualTo(5);
        assertThat(closed.getCloseReason()).isEqualTo("DEADLINE");
        Event e = chain.endEvents("fl.round.closed").get(0);
        assertThat(FlChain.attr(e, "byzantine_f")).isEqualTo("0");
        assertThat(FlChain.attr(e, "rule")).isEqualTo("MULTI_KRUM");
      }
    }
    for (ByteString a : attackers) {
      assertThat(FlQueries.reputation(chain.state, "t", a).orElseThrow().getStatus())
          .isEqualTo(ReputationStatus.SUSPENDED_ON_TASK);
    }
    for (ByteString h : honest) {
      assertThat(FlQueries.reputation(chain.state, "t", h).orElseThrow().getStatus())
          .isEqualTo(ReputationStatus.IN_GOOD_STANDING);
    }
    assertThat(FlQueries.task(chain.state, "t").orElseThrow().getCurrentVersion()).isEqualTo(6);
  }

  private static float[] vector(double centre, double sd, SplittableRandom rnd) {
    float[] v = new float[D];
    for (int k = 0; k < D; k++) {
      v[k] = (float) (centre + sd * (rnd.nextDouble() - 0.5));
    }
    return v;
  }
}
