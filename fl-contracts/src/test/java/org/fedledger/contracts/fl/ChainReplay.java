package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.Role;
import org.fedledger.proto.SampleWeighting;
import org.fedledger.proto.SelectionChecks;
import org.fedledger.proto.ShortfallPolicy;
import org.fedledger.proto.Transaction;

/**
 * A randomised FL chain executed block by block on the real executor and contracts: tasks
 * under every rule (Multi-Krum with the selection checks, median fallback and waiting
 * shortfall policies, capped and uniform sample weights, no norm bound on some), and blocks
 * of updates with tied and duplicate updates, copies sent by several participants, second
 * updates in a round, extreme values (+-3e38, denormals), NaN, wrong lengths and bases,
 * and ADMIN closes. It runs until {@code rounds} rounds have closed and returns the SHA-256
 * over every block's state root. {@code main} prints it, so a second JVM can be compared.
 */
public final class ChainReplay {
  private static final int PEOPLE = 12;
  private static final int D = 24;
  private static final AggregationRule[] RULES = {AggregationRule.FEDAVG, AggregationRule.KRUM,
      AggregationRule.MULTI_KRUM, AggregationRule.TRIMMED_MEAN, AggregationRule.MEDIAN, AggregationRule.MULTI_KRUM};

  private ChainReplay() {}

  /** Usage: ChainReplay rounds seed — prints the hex digest of every block's state root. */
  public static void main(String[] args) {
    System.out.println(run(Integer.parseInt(args[0]), Long.parseLong(args[1])).digest());
  }

  /** The digest and how many blocks and closed rounds produced it. */
  public record Outcome(String digest, int blocks, long closedRounds) {}

  /** Runs blocks until {@code rounds} rounds closed over all tasks. */
  public static Outcome run(int rounds, long seed) {
    MessageDigest md = sha256();
    SplittableRandom rnd = new SplittableRandom(seed);
    FlChain chain = new FlChain();
    List<ByteString> people = new ArrayList<>();
    for (int i = 0; i < PEOPLE; i++) {
      people.add(FlChain.key(500 + i));
      chain.register(people.get(i), Role.HOSPITAL, i % 4 == 0 ? 40 : 0);
    }
    List<String> tasks = new ArrayList<>();
    List<Transaction> setup = new ArrayList<>();
    for (int t = 0; t < RULES.length; t++) {
      AggregationRule rule = RULES[t];
      String id = "task-" + t + "-" + rule.name();
      tasks.add(id);
      var spec = FlChain.task(id, D, rule, 1, 3).setMinUpdates(Math.max(TaskRules.ruleMinimum(rule, 1), 5))
          .setRoundDeadlineBlocks(3).setTrimFraction(0.2)
          .setShortfall(t % 2 == 0 ? ShortfallPolicy.FALLBACK_MEDIAN : ShortfallPolicy.WAIT)
          .setSampleWeighting(t % 3 == 0 ? SampleWeighting.UNIFORM : SampleWeighting.CAPPED_SAMPLES)
          .setNormBound(t % 2 == 0 ? 0.0 : 1e6);
      if (t == 5) {
        spec.setChecks(SelectionChecks.newBuilder().setMaxSimilarity(0.99).setDirection(true));
      }
      setup.add(chain.createTask(spec.build()));
    }
    md.update(chain.block(setup.toArray(new Transaction[0])).stateRoot().toByteArray());
    int blocks = 1;
    while (closedRounds(chain, tasks) < rounds) {
      List<Transaction> txs = new ArrayList<>();
      int count = rnd.nextInt(0, 12);
      float[] shared = null;
      for (int k = 0; k < count; k++) {
        String task = tasks.get(rnd.nextInt(tasks.size()));
        var state = FlQueries.task(chain.state, task).orElseThrow();
        long round = state.getCurrentRound();
        long base = state.getCurrentVersion();
        int kind = rnd.nextInt(20);
        float[] w;
        if (shared != null && kind < 4) {
          w = shared.clone(); // the same update from several participants: tied scores
        } else {
          w = new float[kind == 19 ? D - 1 : D];
          for (int j = 0; j < w.length; j++) {
            w[j] = value(rnd);
          }
          shared = w;
        }
        if (kind == 18) {
          round += 1 + rnd.nextInt(2);
        } else if (kind == 17 && base > 0) {
          base -= 1;
        }
        long samples = kind == 16 ? 0 : 1 + rnd.nextInt(1_000_000);
        txs.add(chain.submit(people.get(rnd.nextInt(PEOPLE)), FlChain.update(task, round, base, w, samples)));
      }
      if (rnd.nextInt(10) == 0) {
        String task = tasks.get(rnd.nextInt(tasks.size()));
        txs.add(chain.close(task, FlQueries.task(chain.state, task).orElseThrow().getCurrentRound()));
      }
      BlockResult r = chain.block(txs.toArray(new Transaction[0]));
      for (var receipt : r.receipts()) {
        if ("CONTRACT_ERROR".equals(receipt.getCode())) {
          throw new IllegalStateException("block " + blocks + ": " + receipt.getReason());
        }
      }
      md.update(r.stateRoot().toByteArray());
      blocks++;
    }
    return new Outcome(HexFormat.of().formatHex(md.digest()), blocks, closedRounds(chain, tasks));
  }

  private static long closedRounds(FlChain chain, List<String> tasks) {
    long closed = 0;
    for (String t : tasks) {
      closed += FlQueries.task(chain.state, t).orElseThrow().getCurrentRound() - 1;
    }
    return closed;
  }

  private static float value(SplittableRandom rnd) {
    int kind = rnd.nextInt(40);
    if (kind == 0) {
      return rnd.nextBoolean() ? 3e38f : -3e38f;
    } else if (kind == 1) {
      return Float.MIN_VALUE * rnd.nextInt(-5000, 5000); // denormals and zeros
    } else if (kind < 10) {
      return rnd.nextInt(-3, 4); // small integers: exact ties
    } else if (kind == 10) {
      return rnd.nextInt(20) == 0 ? Float.NaN : 0.5f;
    }
    return (float) rnd.nextGaussian();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
