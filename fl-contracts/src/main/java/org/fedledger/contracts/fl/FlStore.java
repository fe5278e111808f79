package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.util.Optional;
import org.fedledger.ledger.exec.State;
import org.fedledger.ledger.exec.StateView;
import org.fedledger.proto.Balance;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.ReputationRecord;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.StoredUpdate;
import org.fedledger.proto.TaskState;

/**
 * Typed reads and writes of the FL state records. A record that does not parse is a broken
 * invariant (only this contract writes under "fl/"), so it fails loudly.
 */
final class FlStore {
  private FlStore() {}

  static Optional<TaskState> task(StateView s, String taskId) {
    return read(s, FlKeys.task(taskId), TaskState.parser());
  }

  static Optional<RoundState> round(StateView s, String taskId, long round) {
    return read(s, FlKeys.round(taskId, round), RoundState.parser());
  }

  static Optional<StoredUpdate> update(StateView s, String taskId, long round, ByteString participant) {
    return read(s, FlKeys.update(taskId, round, participant), StoredUpdate.parser());
  }

  static Optional<GlobalModel> model(StateView s, String taskId, long version) {
    return read(s, FlKeys.model(taskId, version), GlobalModel.parser());
  }

  static Optional<ReputationRecord> reputation(StateView s, String taskId, ByteString participant) {
    return read(s, FlKeys.reputation(taskId, participant), ReputationRecord.parser());
  }

  /** Participants the task has suspended (reputation status SUSPENDED_ON_TASK). */
  static int suspendedOnTask(StateView s, String taskId) {
    int count = 0;
    for (java.util.Map.Entry<ByteString, ByteString> e : s.scan(FlKeys.reputationPrefix(taskId))) {
      if (parse(e.getValue(), ReputationRecord.parser(), e.getKey()).getStatus()
          == org.fedledger.proto.ReputationStatus.SUSPENDED_ON_TASK) {
        count++;
      }
    }
    return count;
  }

  /** The task's rules for closing its current round: byzantine_f less the suspended participants. */
  static CreateTask closingRules(StateView s, TaskState task) {
    return TaskRules.afterSuspensions(task.getSpec(), suspendedOnTask(s, task.getSpec().getTaskId()));
  }

  static Optional<Balance> balance(StateView s, ByteString participant) {
    return read(s, FlKeys.balance(participant), Balance.parser());
  }

  static void put(State s, ByteString key, Message value) {
    s.put(key, value.toByteString());
  }

  static <T> T parse(ByteString raw, Parser<T> parser, ByteString key) {
    try {
      return parser.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt FL state record at " + key.toStringUtf8(), e);
    }
  }

  private static <T> Optional<T> read(StateView s, ByteString key, Parser<T> parser) {
    return s.get(key).map(raw -> parse(raw, parser, key));
  }
}
