package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import java.util.List;
import org.fedledger.contracts.fl.reputation.BetaReputation;
import org.fedledger.contracts.fl.reputation.Outcome;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.exec.EventSink;
import org.fedledger.ledger.exec.State;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.Balance;
import org.fedledger.proto.Contributor;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Event;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.Participant;
import org.fedledger.proto.ReputationRecord;
import org.fedledger.proto.ReputationStatus;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.RoundStatus;
import org.fedledger.proto.ShortfallPolicy;
import org.fedledger.proto.Submission;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.UpdateOutcome;

/**
 * Closes a round inside the block that makes it due: aggregates, stores model version k+1
 * with its hash and provenance, updates reputations, suspends, credits rewards, deletes the
 * round's stored weights and opens the next round. Every loop runs over the submissions in
 * participant order.
 */
final class RoundCloser {
  private RoundCloser() {}

  /**
   * Closes {@code round} of {@code task} at {@code height}; {@code fallback} applies the
   * coordinate-wise median instead of the task's rule (shortfall policy FALLBACK_MEDIAN).
   */
  static void close(State state, TaskState task, RoundState round, long height, String reason,
      boolean fallback, EventSink events) {
    CreateTask spec = task.getSpec();
    List<Submission> subs = round.getSubmissionsList();
    int n = subs.size();
    float[][] vectors = new float[n][];
    long[] claims = new long[n];
    long[] caps = new long[n];
    for (int i = 0; i < n; i++) {
      ByteString who = subs.get(i).getParticipant();
      vectors[i] = Weights.unpack(FlStore.update(state, spec.getTaskId(), round.getRound(), who)
          .orElseThrow(() -> new IllegalStateException("stored update missing")).getWeights());
      claims[i] = subs.get(i).getSampleCount();
      caps[i] = Registry.participant(state, who).map(Participant::getMaxSamples).orElse(0L);
      state.delete(FlKeys.update(spec.getTaskId(), round.getRound(), who));
    }
    AggregationRule rule = fallback ? AggregationRule.MEDIAN : spec.getRule();
    CreateTask rules = FlStore.closingRules(state, task);
    float[] base = !spec.hasChecks() ? null : Weights.unpack(FlStore.model(state, spec.getTaskId(),
        round.getBaseVersion()).orElseThrow(() -> new IllegalStateException("base model missing")).getWeights());
    RoundAggregation.Result r = RoundAggregation.run(rules, rule, vectors, claims, caps, base);
    long version = task.getCurrentVersion() + 1;
    GlobalModel model = storeModel(state, spec, round, version, height, r);
    RoundState.Builder closed = round.toBuilder().clearSubmissions().setStatus(RoundStatus.ROUND_CLOSED)
        .setClosedHeight(height).setProducedVersion(version).setAppliedRule(r.applied()).setCloseReason(reason);
    if (fallback) {
      closed.setShortfall(true).setShortfallPolicy(ShortfallPolicy.FALLBACK_MEDIAN);
    }
    BetaReputation rep = TaskRules.reputation(spec);
    for (int i = 0; i < n; i++) {
      Submission s = subs.get(i);
      closed.addSubmissions(s.toBuilder().setOutcome(toProto(r.outcomes()[i])).setScore(r.scores()[i])
          .setWeight(r.weights()[i]));
      recordReputation(state, spec, rep, s.getParticipant(), r.outcomes()[i], r.penalties()[i], round.getRound(),
          height, events);
      if (r.outcomes()[i] == Outcome.SELECTED) {
        credit(state, s.getParticipant(), spec.getRewardPerUpdate());
      }
    }
    FlStore.put(state, FlKeys.round(spec.getTaskId(), round.getRound()), closed.build());
    openNext(state, task.toBuilder().setCurrentVersion(version).build(), height);
    events.emit(Event.newBuilder().setType("fl.round.closed")
        .addAttributes(FlEvents.attr("task", spec.getTaskId()))
        .addAttributes(FlEvents.attr("round", Long.toString(round.getRound())))
        .addAttributes(FlEvents.attr("version", Long.toString(version)))
        .addAttributes(FlEvents.attr("sha256", Keys.hex(model.getSha256())))
        .addAttributes(FlEvents.attr("rule", r.applied().name()))
        .addAttributes(FlEvents.attr("reason", reason))
        .addAttributes(FlEvents.attr("shortfall", fallback ? ShortfallPolicy.FALLBACK_MEDIAN.name() : "NONE"))
        .addAttributes(FlEvents.attr("updates", Integer.toString(n)))
        .addAttributes(FlEvents.attr("byzantine_f", Integer.toString(rules.getByzantineF())))
        .addAttributes(FlEvents.attr("contributors", Integer.toString(model.getContributorsCount()))).build());
  }

  /**
   * Makes round current_round + 1 the open round, trained from current_version, with its
   * deadline round_deadline_blocks after {@code height}.
   */
  static void openNext(State state, TaskState task, long height) {
    CreateTask spec = task.getSpec();
    long next = task.getCurrentRound() + 1;
    TaskState updated = task.toBuilder().setCurrentRound(next).build();
    FlStore.put(state, FlKeys.task(spec.getTaskId()), updated);
    FlStore.put(state, FlKeys.round(spec.getTaskId(), next), RoundState.newBuilder()
        .setTaskId(spec.getTaskId()).setRound(next).setBaseVersion(task.getCurrentVersion())
        .setOpenedHeight(height).setDeadlineHeight(height + spec.getRoundDeadlineBlocks())
        .setStatus(RoundStatus.ROUND_OPEN).build());
    state.put(FlKeys.open(spec.getTaskId()), ByteString.EMPTY);
  }

  private static GlobalModel storeModel(State state, CreateTask spec, RoundState round, long version,
      long height, RoundAggregation.Result r) {
    ByteString packed = Weights.pack(r.model());
    GlobalModel.Builder m = GlobalModel.newBuilder().setTaskId(spec.getTaskId()).setVersion(version)
        .setWeights(packed).setSha256(org.fedledger.ledger.crypto.Hash.sha256(packed).bytes())
        .setRound(round.getRound()).setHeight(height).setRule(r.applied());
    for (int i : r.order()) {
      Submission s = round.getSubmissions(i);
      m.addContributors(Contributor.newBuilder().setParticipant(s.getParticipant()).setTxId(s.getTxId())
          .setHeight(s.getHeight()).setWeight(r.weights()[i]).setScore(r.scores()[i]));
    }
    GlobalModel model = m.build();
    FlStore.put(state, FlKeys.model(spec.getTaskId(), version), model);
    return model;
  }

  private static void recordReputation(State state, CreateTask spec, BetaReputation rep, ByteString who,
      Outcome outcome, double penalty, long round, long height, EventSink events) {
    ReputationRecord old = FlStore.reputation(state, spec.getTaskId(), who).orElse(
        ReputationRecord.newBuilder().setTaskId(spec.getTaskId()).setParticipant(who)
            .setStatus(ReputationStatus.IN_GOOD_STANDING).build());
    BetaReputation.Standing next = rep.next(
        new BetaReputation.Standing(old.getAlpha(), old.getBeta(), old.getRounds()), outcome, penalty);
    ReputationRecord.Builder b = old.toBuilder().setAlpha(next.alpha()).setBeta(next.beta())
        .setScore(rep.score(next)).setRounds(next.rounds()).setLastRound(round);
    switch (outcome) {
      case SELECTED:
        b.setSelected(old.getSelected() + 1);
        break;
      case NOT_SELECTED:
        b.setNotSelected(old.getNotSelected() + 1);
        break;
      case FILTERED:
        b.setFiltered(old.getFiltered() + 1);
        break;
    }
    if (old.getStatus() != ReputationStatus.SUSPENDED_ON_TASK && rep.shouldSuspend(next)) {
      b.setStatus(ReputationStatus.SUSPENDED_ON_TASK).setSuspendedHeight(height);
      events.emit(Event.newBuilder().setType("fl.participant.suspended")
          .addAttributes(FlEvents.attr("task", spec.getTaskId()))
          .addAttributes(FlEvents.attr("participant", Keys.hex(who)))
          .addAttributes(FlEvents.attr("score", Double.toString(rep.score(next)))).build());
    }
    FlStore.put(state, FlKeys.reputation(spec.getTaskId(), who), b.build());
  }

  /** Adds {@code amount} to the participant's balance, saturating at 2^64 - 1. */
  private static void credit(State state, ByteString who, long amount) {
    if (amount == 0) {
      return;
    }
    long old = FlStore.balance(state, who).map(Balance::getAmount).orElse(0L);
    long sum = old + amount;
    if (Long.compareUnsigned(sum, old) < 0) {
      sum = -1L;
    }
    FlStore.put(state, FlKeys.balance(who), Balance.newBuilder().setParticipant(who).setAmount(sum).build());
  }

  private static UpdateOutcome toProto(Outcome o) {
    switch (o) {
      case SELECTED:
        return UpdateOutcome.SELECTED;
      case NOT_SELECTED:
        return UpdateOutcome.NOT_SELECTED;
      case FILTERED:
        return UpdateOutcome.FILTERED;
      default:
        throw new AssertionError(o);
    }
  }
}
