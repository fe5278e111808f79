package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedledger.ledger.exec.StateView;
import org.fedledger.proto.Balance;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.ReputationRecord;
import org.fedledger.proto.ReputationTable;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.TaskState;

/**
 * Read API over the FL state for node code (the gRPC service, the explorer). Pure reads of a
 * {@link StateView}; results are the fl.proto state messages.
 *
 * <p>A round's record lists the updates it accepted, each with its outcome, score and weight.
 * Updates refused at admission never reach the state (a refused transaction changes nothing):
 * their reason codes are in their receipts.
 */
public final class FlQueries {
  private FlQueries() {}

  /** The task, if it exists. */
  public static Optional<TaskState> task(StateView state, String taskId) {
    return FlStore.task(state, taskId);
  }

  /** Every task id, in key order. */
  public static List<String> taskIds(StateView state) {
    List<String> ids = new ArrayList<>();
    int prefix = FlKeys.taskPrefix().size();
    for (Map.Entry<ByteString, ByteString> e : state.scan(FlKeys.taskPrefix())) {
      ids.add(e.getKey().substring(prefix).toStringUtf8());
    }
    return ids;
  }

  /** A round's status: open or closed, its accepted submissions and their outcomes. */
  public static Optional<RoundState> round(StateView state, String taskId, long round) {
    return FlStore.round(state, taskId, round);
  }

  /** The task's open round. */
  public static Optional<RoundState> currentRound(StateView state, String taskId) {
    return task(state, taskId).flatMap(t -> FlStore.round(state, taskId, t.getCurrentRound()));
  }

  /** A global model version with weights, SHA-256 and provenance (contributors, height). */
  public static Optional<GlobalModel> model(StateView state, String taskId, long version) {
    return FlStore.model(state, taskId, version);
  }

  /** The newest global model of the task. */
  public static Optional<GlobalModel> latestModel(StateView state, String taskId) {
    return task(state, taskId).flatMap(t -> FlStore.model(state, taskId, t.getCurrentVersion()));
  }

  /** One participant's reputation on a task. */
  public static Optional<ReputationRecord> reputation(StateView state, String taskId, ByteString participant) {
    return FlStore.reputation(state, taskId, participant);
  }

  /** The task's reputation table, sorted by participant public key. */
  public static ReputationTable reputationTable(StateView state, String taskId) {
    ReputationTable.Builder t = ReputationTable.newBuilder().setTaskId(taskId);
    for (Map.Entry<ByteString, ByteString> e : state.scan(FlKeys.reputationPrefix(taskId))) {
      t.addRecords(FlStore.parse(e.getValue(), ReputationRecord.parser(), e.getKey()));
    }
    return t.build();
  }

  /** The participant's reward balance (0 if it never earned one). */
  public static long balance(StateView state, ByteString participant) {
    return FlStore.balance(state, participant).map(Balance::getAmount).orElse(0L);
  }
}
