package org.fedledger.testnet.client;

import com.google.protobuf.ByteString;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedledger.contracts.fl.Weights;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.proto.CloseRound;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.ReputationRecord;
import org.fedledger.proto.ReputationStatus;
import org.fedledger.proto.ReputationTable;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.RoundStatus;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.Transaction;
import org.fedledger.testnet.attack.Cohort;
import org.fedledger.testnet.fl.Evaluation;
import org.fedledger.testnet.fl.LocalLearner;
import org.tribuo.ImmutableDataset;
import org.tribuo.classification.Label;

/**
 * The federated client loop over gRPC, for a cohort of hospitals run by one process: for each
 * round it fetches the task and global model version k, lets every hospital train (or
 * attack) from it, submits each update as a SubmitUpdate signed with that hospital's key,
 * waits for the receipts, and waits for version k + 1. It then evaluates version k + 1 on the
 * held-out set and prints the accuracy, AUC, contributors and the reputation table.
 *
 * <p>If every hospital that may still submit has been heard and the round is still open
 * (suspended hospitals are refused, so the quorum may never be reached), the operator's ADMIN
 * key closes it with a CloseRound; without an ADMIN key the loop waits for the deadline.
 */
public final class FederatedRounds {
  /** One round's result as printed. */
  public record RoundReport(long round, long version, Evaluation evaluation, int contributors, int refused) {}

  private final NodeClient node;
  private final String taskId;
  private final Cohort cohort;
  private final List<Signer> hospitals;
  private final Signer admin;
  private final ImmutableDataset<Label> test;
  private final PrintStream out;
  private final long roundTimeoutMillis;

  /**
   * A loop for {@code cohort} (hospital i signs with {@code hospitals.get(i)}) on task
   * {@code taskId}; {@code admin} may be null (no early close).
   */
  public FederatedRounds(NodeClient node, String taskId, Cohort cohort, List<Signer> hospitals, Signer admin,
      ImmutableDataset<Label> test, PrintStream out, long roundTimeoutMillis) {
    if (hospitals.size() != cohort.size()) {
      throw new IllegalArgumentException(hospitals.size() + " keys for " + cohort.size() + " hospitals");
    }
    this.node = node;
    this.taskId = taskId;
    this.cohort = cohort;
    this.hospitals = List.copyOf(hospitals);
    this.admin = admin;
    this.test = test;
    this.out = out;
    this.roundTimeoutMillis = roundTimeoutMillis;
  }

  /** Runs {@code rounds} rounds from the task's current one and returns what each produced. */
  public List<RoundReport> run(int rounds) throws InterruptedException {
    List<RoundReport> reports = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      reports.add(runRound());
    }
    return reports;
  }

  /** One round: fetch version k, train, submit, wait for version k + 1, evaluate, print. */
  public RoundReport runRound() throws InterruptedException {
    TaskState task = node.task(taskId).orElseThrow(() -> new IllegalStateException("no task " + taskId));
    long round = task.getCurrentRound();
    long base = task.getCurrentVersion();
    GlobalModel model = node.model(taskId, base);
    float[] global = Weights.unpack(model.getWeights());
    List<float[]> updates = cohort.updates(global, round);
    List<ByteString> ids = new ArrayList<>();
    for (int c = 0; c < cohort.size(); c++) {
      Envelope e = hospitals.get(c).sign(Transaction.newBuilder().setSubmitUpdate(SubmitUpdate.newBuilder()
          .setTaskId(taskId).setRound(round).setBaseVersion(base).setWeights(Weights.pack(updates.get(c)))
          .setSampleCount(cohort.claim(c))));
      ids.add(node.submit(e));
    }
    int refused = 0;
    for (int c = 0; c < cohort.size(); c++) {
      Receipt r = node.waitForCommit(ids.get(c), roundTimeoutMillis);
      if (r.getStatus() != ReceiptStatus.SUCCESS) {
        refused++;
        out.printf(Locale.ROOT, "  round %d: %s refused: %s %s%n", round, cohort.name(c), r.getCode(), r.getReason());
      }
    }
    maybeClose(round);
    GlobalModel next = awaitVersion(base + 1);
    Evaluation eval = LocalLearner.evaluate(Weights.unpack(next.getWeights()), test);
    RoundReport report = new RoundReport(round, next.getVersion(), eval, next.getContributorsCount(), refused);
    out.printf(Locale.ROOT, "round %3d  model v%d  accuracy %.4f  AUC %.4f  contributors %d  refused %d  sha256 %s%n",
        round, next.getVersion(), eval.accuracy(), eval.auc(), next.getContributorsCount(), refused,
        Keys.shortHex(next.getSha256()));
    printReputation(node.reputation(taskId));
    return report;
  }

  private void maybeClose(long round) {
    RoundState state = node.round(taskId, round);
    if (admin == null || state.getStatus() != RoundStatus.ROUND_OPEN) {
      return;
    }
    Receipt r = node.waitForCommit(node.submit(admin.sign(Transaction.newBuilder()
        .setCloseRound(CloseRound.newBuilder().setTaskId(taskId).setRound(round)))), roundTimeoutMillis);
    if (r.getStatus() != ReceiptStatus.SUCCESS && node.round(taskId, round).getStatus() == RoundStatus.ROUND_OPEN) {
      out.printf(Locale.ROOT, "  round %d: ADMIN close refused: %s %s (waiting for the deadline)%n", round, r.getCode(),
          r.getReason());
    }
  }

  private GlobalModel awaitVersion(long version) throws InterruptedException {
    long deadline = System.nanoTime() + roundTimeoutMillis * 1_000_000L;
    while (true) {
      TaskState t = node.task(taskId).orElseThrow();
      if (t.getCurrentVersion() >= version) {
        return node.model(taskId, version);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("model version " + version + " of " + taskId + " did not appear within "
            + roundTimeoutMillis + " ms");
      }
      Thread.sleep(200);
    }
  }

  private void printReputation(ReputationTable table) {
    for (ReputationRecord r : table.getRecordsList()) {
      int i = indexOf(r.getParticipant());
      String name = i < 0 ? Keys.shortHex(r.getParticipant()) : cohort.name(i);
      out.printf(Locale.ROOT, "    %-12s score %.3f  selected %2d  not-selected %2d  filtered %2d  %s%n", name,
          r.getScore(), r.getSelected(), r.getNotSelected(), r.getFiltered(),
          r.getStatus() == ReputationStatus.SUSPENDED_ON_TASK ? "SUSPENDED" : "");
    }
  }

  private int indexOf(ByteString key) {
    for (int i = 0; i < hospitals.size(); i++) {
      if (hospitals.get(i).publicKey().equals(key)) {
        return i;
      }
    }
    return -1;
  }
}
