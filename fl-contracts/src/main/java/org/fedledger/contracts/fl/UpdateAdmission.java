package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fedledger.contracts.fl.aggregation.PairwiseDistances;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.exec.ContractException;
import org.fedledger.ledger.exec.State;
import org.fedledger.ledger.exec.TxContext;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Event;
import org.fedledger.proto.Metric;
import org.fedledger.proto.Participant;
import org.fedledger.proto.ParticipantStatus;
import org.fedledger.proto.ReputationStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.StoredUpdate;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.Submission;
import org.fedledger.proto.TaskState;

/**
 * Admission of a {@link SubmitUpdate}: every check in the order below, each refusal with its
 * own code; on success the full weights are stored and a {@link Submission} joins the round.
 * Checks run cheapest first, and nothing about the payload (length, NaN, huge values, random
 * bytes) can make them throw anything but a {@link ContractException}.
 */
final class UpdateAdmission {
  private UpdateAdmission() {}

  /** Most metrics an update may carry. */
  static final int MAX_METRICS = 32;
  /** Longest metric name, in UTF-8 bytes. */
  static final int MAX_METRIC_NAME_BYTES = 64;

  static void admit(TxContext ctx, SubmitUpdate u, State state) throws ContractException {
    checkSize(u);
    TaskState task = FlStore.task(state, u.getTaskId())
        .orElseThrow(() -> refuse(FlCodes.UNKNOWN_TASK, "no task " + u.getTaskId()));
    CreateTask spec = task.getSpec();
    checkParticipant(ctx.signer(), spec, state);
    if (u.getRound() != task.getCurrentRound()) {
      throw refuse(FlCodes.WRONG_ROUND, "open round is " + task.getCurrentRound() + ", not " + u.getRound());
    }
    RoundState round = FlStore.round(state, spec.getTaskId(), task.getCurrentRound())
        .orElseThrow(() -> new IllegalStateException("open round record missing for " + spec.getTaskId()));
    if (u.getBaseVersion() != round.getBaseVersion()) {
      throw refuse(FlCodes.STALE_BASE, "round " + round.getRound() + " trains from version "
          + round.getBaseVersion() + ", not " + Long.toUnsignedString(u.getBaseVersion()));
    }
    int position = insertionPoint(round, ctx.signer());
    if (position < 0) {
      throw refuse(FlCodes.DUPLICATE_UPDATE, "one update per participant and round");
    }
    if (round.getSubmissionsCount() >= spec.getMaxUpdates()) {
      throw refuse(FlCodes.ROUND_FULL, "round holds max_updates=" + spec.getMaxUpdates() + " updates");
    }
    if (u.getSampleCount() == 0) {
      throw refuse(FlCodes.ZERO_SAMPLES, "sample_count must be positive");
    }
    float[] full = checkWeights(u, task, state);
    store(ctx, u, state, round, position, full);
  }

  private static void checkSize(SubmitUpdate u) throws ContractException {
    if (u.getWeights().size() > 4 * TaskRules.MAX_PARAMETERS) {
      throw refuse(FlCodes.OVERSIZE, "weights of " + u.getWeights().size() + " bytes");
    }
    if (u.getMetricsCount() > MAX_METRICS) {
      throw refuse(FlCodes.OVERSIZE, "more than " + MAX_METRICS + " metrics");
    }
    for (Metric m : u.getMetricsList()) {
      if (m.getNameBytes().size() > MAX_METRIC_NAME_BYTES) {
        throw refuse(FlCodes.OVERSIZE, "metric name longer than " + MAX_METRIC_NAME_BYTES + " bytes");
      }
    }
  }

  private static void checkParticipant(ByteString signer, CreateTask spec, State state) throws ContractException {
    Optional<Participant> p = Registry.participant(state, signer);
    if (p.isEmpty()) {
      throw refuse(FlCodes.NOT_PERMITTED, "signer " + Keys.shortHex(signer) + " is not registered");
    }
    Role role = p.get().getRole();
    if (role != Role.HOSPITAL && role != Role.EDGE && role != Role.DEVICE) {
      throw refuse(FlCodes.NOT_PERMITTED, "role " + role + " may not submit updates");
    }
    if (spec.getPermittedCount() > 0 && !spec.getPermittedList().contains(signer)) {
      throw refuse(FlCodes.NOT_PERMITTED, "signer is not permitted on task " + spec.getTaskId());
    }
    if (p.get().getStatus() != ParticipantStatus.ACTIVE) {
      throw refuse(FlCodes.SUSPENDED, "participant is " + p.get().getStatus() + " in the registry");
    }
    boolean suspendedOnTask = FlStore.reputation(state, spec.getTaskId(), signer)
        .filter(r -> r.getStatus() == ReputationStatus.SUSPENDED_ON_TASK).isPresent();
    if (suspendedOnTask) {
      throw refuse(FlCodes.SUSPENDED, "participant is suspended on task " + spec.getTaskId());
    }
  }

  /** The full weights after the length, finiteness and norm checks. */
  private static float[] checkWeights(SubmitUpdate u, TaskState task, State state) throws ContractException {
    int length = task.getModelLength();
    if (u.getWeights().size() != 4L * length) {
      throw refuse(FlCodes.WRONG_LENGTH, "weights hold " + u.getWeights().size() + " bytes, model needs " + 4L * length);
    }
    float[] given = Weights.unpack(u.getWeights());
    int bad = Weights.firstNonFinite(given);
    if (bad >= 0) {
      throw refuse(FlCodes.NON_FINITE, "weight " + bad + " is " + given[bad]);
    }
    for (Metric m : u.getMetricsList()) {
      if (!Double.isFinite(m.getValue())) {
        throw refuse(FlCodes.NON_FINITE, "metric " + m.getName() + " is " + m.getValue());
      }
    }
    float[] base = Weights.unpack(FlStore.model(state, task.getSpec().getTaskId(), u.getBaseVersion())
        .orElseThrow(() -> new IllegalStateException("base model missing")).getWeights());
    float[] full = given;
    if (u.getIsDelta()) {
      full = new float[length];
      for (int k = 0; k < length; k++) {
        full[k] = (float) ((double) base[k] + (double) given[k]);
      }
      bad = Weights.firstNonFinite(full);
      if (bad >= 0) {
        throw refuse(FlCodes.NON_FINITE, "base + delta overflows float32 at " + bad);
      }
    }
    double bound = task.getSpec().getNormBound();
    if (bound > 0.0) {
      double squared = PairwiseDistances.squaredDistance(full, base);
      if (squared > bound * bound) {
        throw refuse(FlCodes.NORM_TOO_LARGE, "update norm " + StrictMath.sqrt(squared) + " exceeds " + bound);
      }
    }
    return full;
  }

  private static void store(TxContext ctx, SubmitUpdate u, State state, RoundState round, int position, float[] full) {
    String taskId = round.getTaskId();
    FlStore.put(state, FlKeys.update(taskId, round.getRound(), ctx.signer()),
        StoredUpdate.newBuilder().setParticipant(ctx.signer()).setWeights(Weights.pack(full)).build());
    Submission s = Submission.newBuilder().setParticipant(ctx.signer()).setTxId(ctx.txId().bytes())
        .setHeight(ctx.height()).setSampleCount(u.getSampleCount()).addAllMetrics(u.getMetricsList()).build();
    List<Submission> subs = new ArrayList<>(round.getSubmissionsList());
    subs.add(position, s);
    FlStore.put(state, FlKeys.round(taskId, round.getRound()),
        round.toBuilder().clearSubmissions().addAllSubmissions(subs).build());
    ctx.events().emit(Event.newBuilder().setType("fl.update.accepted")
        .addAttributes(FlEvents.attr("task", taskId))
        .addAttributes(FlEvents.attr("round", Long.toString(round.getRound())))
        .addAttributes(FlEvents.attr("participant", Keys.hex(ctx.signer())))
        .addAttributes(FlEvents.attr("submissions", Integer.toString(subs.size()))).build());
  }

  /** Where the signer's submission goes in participant order, or -1 if it is there already. */
  private static int insertionPoint(RoundState round, ByteString signer) {
    int i = 0;
    for (Submission s : round.getSubmissionsList()) {
      int c = ByteString.unsignedLexicographicalComparator().compare(s.getParticipant(), signer);
      if (c == 0) {
        return -1;
      }
      if (c > 0) {
        return i;
      }
      i++;
    }
    return i;
  }

  private static ContractException refuse(String code, String reason) {
    return new ContractException(code, reason);
  }
}
