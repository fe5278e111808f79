package org.fedledger.testnet.sim;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.contracts.fl.FlQueries;
import org.fedledger.contracts.fl.TaskRules;
import org.fedledger.contracts.fl.Weights;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.SelectionChecks;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.ReputationParams;
import org.fedledger.proto.ReputationRecord;
import org.fedledger.proto.ReputationStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.RoundStatus;
import org.fedledger.proto.Submission;
import org.fedledger.proto.SampleWeighting;
import org.fedledger.proto.ShortfallPolicy;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.Transaction;
import org.fedledger.testnet.attack.Cohort;
import org.fedledger.testnet.fl.Evaluation;
import org.fedledger.testnet.fl.LocalLearner;
import org.fedledger.testnet.fl.ModelLayout;
import org.fedledger.testnet.fl.Partition;
import org.fedledger.testnet.fl.Standardiser;
import org.fedledger.testnet.fl.Wdbc;
import org.tribuo.ImmutableDataset;
import org.tribuo.classification.Label;

/**
 * Runs one {@link ExperimentConfig} end to end on an {@link InProcessLedger}: an ADMIN
 * registers the hospitals (each with its declared patient count as {@code max_samples}, the
 * cap on what its updates may claim) and creates the task; every round each client fetches the newest
 * {@code GlobalModel} through {@link FlQueries}, trains (or attacks), and submits a signed
 * {@code SubmitUpdate}; all of a round's updates go into one block, and the contract closes
 * the round (at quorum, or at the deadline once suspended clients are refused). The new
 * global model is evaluated on the held-out fold.
 */
public final class Experiment {
  /** Task id used by the experiments. */
  public static final String TASK = "wdbc-lr";
  private static final int DEADLINE_BLOCKS = 2;

  /** Sees every round's submitted updates and the model they produced (for analysis tools). */
  public interface RoundObserver {
    /** Round {@code round} started from {@code global}, client c submitted {@code updates[c]}, and produced {@code next}. */
    void onRound(long round, float[] global, List<float[]> updates, float[] next);
  }

  private final ExperimentConfig config;
  private final RoundObserver observer;

  /** An experiment over {@code config}. */
  public Experiment(ExperimentConfig config) {
    this(config, (round, global, updates, next) -> { });
  }

  /** An experiment over {@code config} that reports every round to {@code observer}. */
  public Experiment(ExperimentConfig config, RoundObserver observer) {
    this.config = config;
    this.observer = observer;
  }

  /**
   * Reputation: decay 0.9, suspension below 0.3 from round 2 on, reject margin 4 (the
   * default), and a filtered update counting up to twice (at 8 times the median Krum score).
   */
  public static ReputationParams reputation() {
    return ReputationParams.newBuilder().setDecay(0.9).setSuspendThreshold(0.3).setMinRounds(2).setRejectMargin(4.0)
        .setMaxPenalty(2.0).build();
  }

  /**
   * The task an experiment creates: the {@link ModelLayout}, zero initial weights, {@code
   * rule} with Byzantine count {@code f} (Multi-Krum keeps n - f), {@link #reputation()},
   * capped sample weights, no norm bound (the filters, not a bound, are under test), and for
   * Krum rules the collusion check (cosine 0.99) and the direction check.
   */
  public static CreateTask task(String id, AggregationRule rule, int clients, int f) {
    return task(id, rule, clients, f, true);
  }

  /** As {@link #task(String, AggregationRule, int, int)}, with the selection checks on or off. */
  public static CreateTask task(String id, AggregationRule rule, int clients, int f, boolean selectionChecks) {
    int min = TaskRules.ruleMinimum(rule, f);
    CreateTask.Builder t = CreateTask.newBuilder().setTaskId(id).setDescription("WDBC logistic regression")
        .addAllLayout(ModelLayout.segments()).setInitialWeights(Weights.pack(new float[ModelLayout.LENGTH]))
        .setRule(rule).setByzantineF(f).setSelectM(Math.max(1, clients - f))
        .setMinUpdates(Math.max(min, 1)).setMaxUpdates(clients).setRoundDeadlineBlocks(DEADLINE_BLOCKS)
        .setReputation(reputation()).setRewardPerUpdate(1).setShortfall(ShortfallPolicy.WAIT)
        .setSampleWeighting(SampleWeighting.CAPPED_SAMPLES);
    if (selectionChecks && (rule == AggregationRule.MULTI_KRUM || rule == AggregationRule.KRUM)) {
      t.setChecks(SelectionChecks.newBuilder().setMaxSimilarity(0.99).setDirection(true));
    }
    return t.build();
  }

  /** Runs the experiment. */
  public ExperimentResult run() {
    LocalLearner.quietTribuo();
    int n = config.clients();
    Partition part = Partition.of(Wdbc.load(), ExperimentConfig.FOLDS, config.fold(), 7L, n, config.alpha(), 5,
        config.seed());
    List<double[][]> stats = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      stats.add(Standardiser.statistics(part.shard(c)));
    }
    Standardiser std = Standardiser.fromStatistics(stats);
    ImmutableDataset<Label> test = LocalLearner.testSet(part.test(), std);

    KeyPair admin = key("admin");
    InProcessLedger ledger = new InProcessLedger(admin);
    Cohort cohort = new Cohort(part, std, config.attackers(), config.mode(), config.params(), config.seed());
    List<KeyPair> keys = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      keys.add(key(cohort.name(c)));
      ledger.submit(admin, Transaction.newBuilder().setRegisterParticipant(RegisterParticipant.newBuilder()
          .setPublicKey(keys.get(c).publicKey()).setName(cohort.name(c)).setRole(Role.HOSPITAL).setConsent(true)
          .setMaxSamples(cohort.rows(c))));
    }
    ledger.submit(admin, Transaction.newBuilder()
        .setCreateTask(task(TASK, config.rule(), n, config.assumedF(), config.selectionChecks())));
    requireSuccess(ledger.commit());

    List<Evaluation> evals = new ArrayList<>();
    List<List<Double>> scores = new ArrayList<>();
    int[] suspendedRound = new int[n];
    List<StringBuilder> outcomes = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      scores.add(new ArrayList<>());
      outcomes.add(new StringBuilder());
    }
    for (int r = 1; r <= config.rounds(); r++) {
      TaskState task = FlQueries.task(ledger.state(), TASK).orElseThrow();
      long round = task.getCurrentRound();
      long base = task.getCurrentVersion();
      float[] global = Weights.unpack(FlQueries.latestModel(ledger.state(), TASK).orElseThrow().getWeights());
      List<float[]> updates = cohort.updates(global, round);
      for (int c = 0; c < n; c++) {
        long claim = cohort.claim(c);
        ledger.submit(keys.get(c), Transaction.newBuilder().setSubmitUpdate(SubmitUpdate.newBuilder().setTaskId(TASK)
            .setRound(round).setBaseVersion(base).setWeights(Weights.pack(updates.get(c))).setSampleCount(claim)));
      }
      ledger.commit();
      for (int guard = 0; roundOpen(ledger, round); guard++) {
        if (guard > 10 * DEADLINE_BLOCKS) {
          throw new IllegalStateException("round " + round + " did not close: " + config);
        }
        ledger.commit();
      }
      RoundState closed = FlQueries.round(ledger.state(), TASK, round).orElseThrow();
      for (int c = 0; c < n; c++) {
        outcomes.get(c).append(outcomeLetter(closed, keys.get(c).publicKey()));
      }
      float[] next = Weights.unpack(FlQueries.latestModel(ledger.state(), TASK).orElseThrow().getWeights());
      evals.add(LocalLearner.evaluate(next, test));
      observer.onRound(round, global, updates, next);
      for (int c = 0; c < n; c++) {
        ReputationRecord rec = FlQueries.reputation(ledger.state(), TASK, keys.get(c).publicKey())
            .orElse(ReputationRecord.getDefaultInstance());
        scores.get(c).add(rec.getRounds() == 0 ? 0.5 : rec.getScore());
        if (suspendedRound[c] == 0 && rec.getStatus() == ReputationStatus.SUSPENDED_ON_TASK) {
          suspendedRound[c] = r;
        }
      }
    }
    List<ClientTrace> traces = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      traces.add(new ClientTrace(cohort.name(c), cohort.attacker(c), scores.get(c), outcomes.get(c).toString(),
          suspendedRound[c]));
    }
    return new ExperimentResult(config, evals, traces);
  }

  private static char outcomeLetter(RoundState round, ByteString who) {
    for (Submission s : round.getSubmissionsList()) {
      if (s.getParticipant().equals(who)) {
        switch (s.getOutcome()) {
          case SELECTED:
            return 'S';
          case NOT_SELECTED:
            return 'n';
          case FILTERED:
            return 'F';
          default:
            return '?';
        }
      }
    }
    return 'x';
  }

  private static boolean roundOpen(InProcessLedger ledger, long round) {
    return FlQueries.round(ledger.state(), TASK, round).orElseThrow().getStatus() == RoundStatus.ROUND_OPEN;
  }

  private static void requireSuccess(BlockResult block) {
    for (Receipt r : block.receipts()) {
      if (r.getStatus() != ReceiptStatus.SUCCESS) {
        throw new IllegalStateException("setup transaction refused: " + r.getCode() + " " + r.getReason());
      }
    }
  }

  /** A deterministic key pair for {@code name} (experiments only: the seed is public). */
  static KeyPair key(String name) {
    return Ed25519.fromSeed(Hash.sha256(ByteString.copyFromUtf8("fedledger-sim-key/" + name)).bytes().toByteArray());
  }

}
