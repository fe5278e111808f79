package org.fedledger.contracts.fl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.Role;
import org.fedledger.proto.ShortfallPolicy;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.Test;

/**
 * Two validators executing the same blocks (every rule, garbage included) reach the same
 * state root after every block.
 */
class ValidatorAgreementTest {

  @Test
  void sameBlocksGiveTheSameStateRootOnEveryValidator() {
    FlChain a = new FlChain();
    FlChain b = new FlChain();
    List<ByteString> people = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      people.add(FlChain.key(40 + i));
      a.register(people.get(i), Role.EDGE, i % 3 == 0 ? 50 : 0);
      b.register(people.get(i), Role.EDGE, i % 3 == 0 ? 50 : 0);
    }
    AggregationRule[] rules = {AggregationRule.FEDAVG, AggregationRule.KRUM, AggregationRule.MULTI_KRUM,
        AggregationRule.TRIMMED_MEAN, AggregationRule.MEDIAN};
    List<Transaction> setup = new ArrayList<>();
    for (AggregationRule rule : rules) {
      var t = FlChain.task(rule.name(), 16, rule, 1, 3).setMinUpdates(Math.max(TaskRules.ruleMinimum(rule, 1), 6))
          .setRoundDeadlineBlocks(4).setTrimFraction(0.2).setShortfall(ShortfallPolicy.FALLBACK_MEDIAN).build();
      setup.add(a.createTask(t));
    }
    assertThat(a.block(setup.toArray(new Transaction[0])).stateRoot()).isEqualTo(b.block(replay(b, setup)).stateRoot());
    SplittableRandom rnd = new SplittableRandom(3);
    for (int blk = 0; blk < 40; blk++) {
      List<Transaction> txs = new ArrayList<>();
      for (int k = 0; k < 6; k++) {
        AggregationRule rule = rules[rnd.nextInt(rules.length)];
        long round = FlQueries.task(a.state, rule.name()).orElseThrow().getCurrentRound();
        float[] w = new float[16];
        for (int j = 0; j < 16; j++) {
          w[j] = rnd.nextInt(10) == 0 ? Float.NaN : (float) rnd.nextGaussian();
        }
        var u = FlChain.update(rule.name(), round, round - 1, w, 1 + rnd.nextInt(100));
        txs.add(a.submit(people.get(rnd.nextInt(people.size())), u));
      }
      assertThat(a.block(txs.toArray(new Transaction[0])).stateRoot())
          .isEqualTo(b.block(replay(b, txs)).stateRoot());
    }
    assertThat(FlQueries.task(a.state, "MEDIAN").orElseThrow().getCurrentVersion()).isPositive();
  }

  /** The same transactions for chain b (its nonce counters advance the same way). */
  private static Transaction[] replay(FlChain b, List<Transaction> txs) {
    Transaction[] out = new Transaction[txs.size()];
    for (int i = 0; i < txs.size(); i++) {
      Transaction t = txs.get(i);
      out[i] = b.tx(t.getSigner(), t.toBuilder().clearChainId().clearSigner().clearNonce());
      assertThat(out[i]).isEqualTo(t);
    }
    return out;
  }
}
