package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.Contract;
import org.fedledger.ledger.exec.ContractException;
import org.fedledger.ledger.exec.EventSink;
import org.fedledger.ledger.exec.State;
import org.fedledger.ledger.exec.TxContext;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.proto.CloseRound;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Event;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.RoundStatus;
import org.fedledger.proto.ShortfallPolicy;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.Transaction;

/**
 * The federated-learning contract: CreateTask (ADMIN), SubmitUpdate (registered
 * HOSPITAL/EDGE/DEVICE), CloseRound (ADMIN), and the end-of-block hook that closes rounds on
 * quorum or deadline. Start here; state layout is in the package documentation.
 *
 * <p>A round closes at the end of the block in which it has min_updates accepted updates
 * (every update of that block up to max_updates takes part), or the end of the first block at
 * or past its deadline height. At the deadline with fewer updates than the rule needs, the
 * task's shortfall policy decides: WAIT keeps the round open (and closes it at the end of the
 * first block that brings enough), FALLBACK_MEDIAN aggregates what arrived with the
 * coordinate-wise median. A round with no update at its deadline gets a new deadline under
 * FALLBACK_MEDIAN (a median of nothing does not exist) and simply waits under WAIT.
 */
public final class FlContract implements Contract {

  /** Close reasons recorded in RoundState.close_reason and the fl.round.closed event. */
  static final String QUORUM = "QUORUM";
  static final String DEADLINE = "DEADLINE";
  static final String ADMIN = "ADMIN";

  @Override
  public String name() {
    return FlKeys.NAME;
  }

  @Override
  public List<Transaction.PayloadCase> payloads() {
    return List.of(Transaction.PayloadCase.CREATE_TASK, Transaction.PayloadCase.SUBMIT_UPDATE,
        Transaction.PayloadCase.CLOSE_ROUND);
  }

  @Override
  public void execute(TxContext ctx, Transaction tx, State state) throws ContractException {
    switch (tx.getPayloadCase()) {
      case CREATE_TASK:
        createTask(ctx, tx.getCreateTask(), state);
        break;
      case SUBMIT_UPDATE:
        UpdateAdmission.admit(ctx, tx.getSubmitUpdate(), state);
        break;
      case CLOSE_ROUND:
        closeRound(ctx, tx.getCloseRound(), state);
        break;
      default:
        throw new IllegalArgumentException("payload " + tx.getPayloadCase() + " is not an FL payload");
    }
  }

  private static void createTask(TxContext ctx, CreateTask t, State state) throws ContractException {
    requireAdmin(ctx, state);
    TaskRules.validate(t);
    if (FlStore.task(state, t.getTaskId()).isPresent()) {
      throw new ContractException(FlCodes.TASK_EXISTS, "task " + t.getTaskId() + " exists");
    }
    ByteString hash = org.fedledger.ledger.crypto.Hash.sha256(t.getInitialWeights()).bytes();
    FlStore.put(state, FlKeys.model(t.getTaskId(), 0), GlobalModel.newBuilder().setTaskId(t.getTaskId())
        .setVersion(0).setWeights(t.getInitialWeights()).setSha256(hash).setRound(0)
        .setHeight(ctx.height()).setRule(t.getRule()).build());
    TaskState task = TaskState.newBuilder().setSpec(t).setCreator(ctx.signer()).setCreatedHeight(ctx.height())
        .setCurrentRound(0).setCurrentVersion(0).setModelLength(TaskRules.modelLength(t)).build();
    RoundCloser.openNext(state, task, ctx.height());
    ctx.events().emit(Event.newBuilder().setType("fl.task.created")
        .addAttributes(FlEvents.attr("task", t.getTaskId()))
        .addAttributes(FlEvents.attr("rule", t.getRule().name()))
        .addAttributes(FlEvents.attr("sha256", Keys.hex(hash))).build());
  }

  private static void closeRound(TxContext ctx, CloseRound c, State state) throws ContractException {
    requireAdmin(ctx, state);
    TaskState task = FlStore.task(state, c.getTaskId())
        .orElseThrow(() -> new ContractException(FlCodes.UNKNOWN_TASK, "no task " + c.getTaskId()));
    if (c.getRound() != task.getCurrentRound()) {
      throw new ContractException(FlCodes.WRONG_ROUND, "open round is " + task.getCurrentRound());
    }
    RoundState round = openRound(state, task);
    int n = round.getSubmissionsCount();
    CreateTask rules = FlStore.closingRules(state, task);
    int needed = TaskRules.ruleMinimum(rules.getRule(), rules.getByzantineF());
    if (n >= needed) {
      RoundCloser.close(state, task, round, ctx.height(), ADMIN, false, ctx.events());
    } else if (n >= 1 && TaskRules.shortfall(task.getSpec()) == ShortfallPolicy.FALLBACK_MEDIAN) {
      ctx.events().emit(shortfallEvent(round, n, needed, ShortfallPolicy.FALLBACK_MEDIAN));
      RoundCloser.close(state, task, round, ctx.height(), ADMIN, true, ctx.events());
    } else {
      throw new ContractException(FlCodes.INSUFFICIENT_UPDATES,
          n + " updates, " + rules.getRule() + " with f=" + rules.getByzantineF() + " needs " + needed
              + " and the policy is WAIT");
    }
  }

  private static void requireAdmin(TxContext ctx, State state) throws ContractException {
    if (!Registry.isActiveAdmin(state, ctx.signer())) {
      throw new ContractException(FlCodes.NOT_ADMIN, "signer is not an active ADMIN");
    }
  }

  /** Closes every open round that this block made due, in task-id order. */
  @Override
  public void endBlock(BlockContext block, State state, EventSink events) {
    for (Map.Entry<ByteString, ByteString> e : state.scan(FlKeys.openPrefix())) {
      String taskId = FlKeys.taskOfOpenKey(e.getKey());
      TaskState task = FlStore.task(state, taskId)
          .orElseThrow(() -> new IllegalStateException("open index names missing task " + taskId));
      maybeClose(task, openRound(state, task), block.height(), state, events);
    }
  }

  private static void maybeClose(TaskState task, RoundState round, long height, State state, EventSink events) {
    CreateTask spec = task.getSpec();
    int n = round.getSubmissionsCount();
    CreateTask rules = FlStore.closingRules(state, task);
    int needed = TaskRules.ruleMinimum(rules.getRule(), rules.getByzantineF());
    if (n >= spec.getMinUpdates()) {
      RoundCloser.close(state, task, round, height, QUORUM, false, events);
      return;
    }
    if (height < round.getDeadlineHeight()) {
      return;
    }
    if (n >= needed) {
      RoundCloser.close(state, task, round, height, DEADLINE, false, events);
    } else if (TaskRules.shortfall(spec) == ShortfallPolicy.FALLBACK_MEDIAN) {
      if (n >= 1) {
        events.emit(shortfallEvent(round, n, needed, ShortfallPolicy.FALLBACK_MEDIAN));
        RoundCloser.close(state, task, round, height, DEADLINE, true, events);
      } else {
        extend(state, round, height + spec.getRoundDeadlineBlocks(), events);
      }
    } else if (!round.getShortfall()) {
      FlStore.put(state, FlKeys.round(spec.getTaskId(), round.getRound()),
          round.toBuilder().setShortfall(true).setShortfallPolicy(ShortfallPolicy.WAIT).build());
      events.emit(shortfallEvent(round, n, needed, ShortfallPolicy.WAIT));
    }
  }

  private static void extend(State state, RoundState round, long deadline, EventSink events) {
    FlStore.put(state, FlKeys.round(round.getTaskId(), round.getRound()),
        round.toBuilder().setDeadlineHeight(deadline).build());
    events.emit(Event.newBuilder().setType("fl.round.extended")
        .addAttributes(FlEvents.attr("task", round.getTaskId()))
        .addAttributes(FlEvents.attr("round", Long.toString(round.getRound())))
        .addAttributes(FlEvents.attr("deadline", Long.toString(deadline))).build());
  }

  private static Event shortfallEvent(RoundState round, int n, int needed, ShortfallPolicy policy) {
    return Event.newBuilder().setType("fl.round.shortfall")
        .addAttributes(FlEvents.attr("task", round.getTaskId()))
        .addAttributes(FlEvents.attr("round", Long.toString(round.getRound())))
        .addAttributes(FlEvents.attr("updates", Integer.toString(n)))
        .addAttributes(FlEvents.attr("needed", Integer.toString(needed)))
        .addAttributes(FlEvents.attr("policy", policy.name())).build();
  }

  private static RoundState openRound(State state, TaskState task) {
    RoundState round = FlStore.round(state, task.getSpec().getTaskId(), task.getCurrentRound())
        .orElseThrow(() -> new IllegalStateException("open round missing for " + task.getSpec().getTaskId()));
    if (round.getStatus() != RoundStatus.ROUND_OPEN) {
      throw new IllegalStateException("current round of " + task.getSpec().getTaskId() + " is not open");
    }
    return round;
  }
}
