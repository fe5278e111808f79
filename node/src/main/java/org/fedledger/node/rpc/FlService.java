package org.fedledger.node.rpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.fedledger.contracts.fl.FlQueries;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.ledger.store.StateSnapshot;
import org.fedledger.proto.Balance;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.ReputationTable;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.RoundStatus;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.FederatedLearningApiGrpc;
import org.fedledger.proto.api.GetBalanceRequest;
import org.fedledger.proto.api.GetModelRequest;
import org.fedledger.proto.api.GetReputationRequest;
import org.fedledger.proto.api.GetRoundRequest;
import org.fedledger.proto.api.GetTaskRequest;
import org.fedledger.proto.api.ListTasksRequest;
import org.fedledger.proto.api.ListTasksResponse;
import org.fedledger.proto.api.ModelResponse;
import org.fedledger.proto.api.RoundStatusResponse;
import org.fedledger.proto.api.UpdateAttempt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FederatedLearningApi gRPC service: read-only queries over the committed state through
 * fl-contracts' {@link FlQueries}, each answered from one consistent snapshot. A malformed
 * request (missing or ill-formed task id, a participant key of the wrong length) is
 * INVALID_ARGUMENT; a task, round or model version that does not exist is NOT_FOUND; both
 * with a description naming what was asked for.
 */
public final class FlService extends FederatedLearningApiGrpc.FederatedLearningApiImplBase {
  /** Blocks a round-status query reads at most (the newest ones of the round's span). */
  public static final long ROUND_SCAN_BLOCKS_MAX = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(FlService.class);
  /** The task id syntax CreateTask enforces (TaskRules). */
  private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final LedgerStore store;
  private final FinalityProver prover;

  /** A service reading {@code store} of {@code chain}. */
  public FlService(Chain chain, LedgerStore store) {
    this.store = store;
    this.prover = new FinalityProver(chain, store);
  }

  @Override
  public void listTasks(ListTasksRequest request, StreamObserver<ListTasksResponse> out) {
    try (StateSnapshot s = store.snapshot()) {
      reply(out, ListTasksResponse.newBuilder().addAllTaskIds(FlQueries.taskIds(s)).build());
    }
  }

  @Override
  public void getTask(GetTaskRequest request, StreamObserver<TaskState> out) {
    if (badTaskId(request.getTaskId(), out)) {
      return;
    }
    try (StateSnapshot s = store.snapshot()) {
      replyOr(out, FlQueries.task(s, request.getTaskId()), "no task '" + request.getTaskId() + "'");
    }
  }

  @Override
  public void getRound(GetRoundRequest request, StreamObserver<RoundState> out) {
    if (badTaskId(request.getTaskId(), out)) {
      return;
    }
    try (StateSnapshot s = store.snapshot()) {
      lookUpRound(s, request, out).ifPresent(r -> reply(out, r));
    }
  }

  @Override
  public void getRoundStatus(GetRoundRequest request, StreamObserver<RoundStatusResponse> out) {
    if (badTaskId(request.getTaskId(), out)) {
      return;
    }
    Optional<RoundState> found;
    long head;
    try (StateSnapshot s = store.snapshot()) {
      found = lookUpRound(s, request, out);
      head = s.height();
    }
    if (found.isEmpty()) {
      return;
    }
    RoundState round = found.get();
    long to = round.getStatus() == RoundStatus.ROUND_CLOSED ? round.getClosedHeight() : head;
    long from = Math.max(round.getOpenedHeight(), to - ROUND_SCAN_BLOCKS_MAX + 1);
    RoundStatusResponse.Builder r = RoundStatusResponse.newBuilder().setRound(round)
        .setScannedFromHeight(from).setScannedToHeight(to);
    for (long h = from; h <= to; h++) {
      Optional<CertifiedBlock> block = store.block(h);
      if (block.isEmpty()) {
        continue; // pruned or not yet stored (state transfer): nothing to report from it
      }
      addAttempts(r, h, block.get().getBlock().getTransactionsList(), store.receipts(h), round);
    }
    reply(out, r.build());
  }

  private static void addAttempts(RoundStatusResponse.Builder out, long height, List<Envelope> txs,
      List<Receipt> receipts, RoundState round) {
    for (int i = 0; i < txs.size(); i++) {
      Transaction tx;
      try {
        tx = Transaction.parseFrom(txs.get(i).getBody());
      } catch (InvalidProtocolBufferException e) {
        LOG.warn("block {} transaction {} does not parse: {}", height, i, e.getMessage());
        continue;
      }
      if (!tx.hasSubmitUpdate()) {
        continue;
      }
      SubmitUpdate u = tx.getSubmitUpdate();
      if (!u.getTaskId().equals(round.getTaskId()) || u.getRound() != round.getRound()) {
        continue;
      }
      UpdateAttempt.Builder a = UpdateAttempt.newBuilder().setParticipant(txs.get(i).getSigner())
          .setTxId(Blocks.txId(txs.get(i)).bytes()).setHeight(height).setBaseVersion(u.getBaseVersion())
          .setSampleCount(u.getSampleCount());
      Receipt receipt = i < receipts.size() ? receipts.get(i) : null;
      if (receipt != null && receipt.getStatus() == ReceiptStatus.SUCCESS) {
        a.setAccepted(true);
      } else if (receipt != null) {
        a.setCode(receipt.getCode()).setReason(receipt.getReason());
      } else {
        a.setCode("NO_RECEIPT").setReason("the validator has no receipt for this transaction");
      }
      out.addAttempts(a);
    }
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<ModelResponse> out) {
    if (badTaskId(request.getTaskId(), out)) {
      return;
    }
    Optional<GlobalModel> m;
    Optional<TaskState> task;
    try (StateSnapshot s = store.snapshot()) {
      task = FlQueries.task(s, request.getTaskId());
      m = request.hasVersion()
          ? FlQueries.model(s, request.getTaskId(), request.getVersion())
          : FlQueries.latestModel(s, request.getTaskId());
    }
    if (task.isEmpty()) {
      notFound(out, "no task '" + request.getTaskId() + "'");
      return;
    }
    if (m.isEmpty()) {
      notFound(out, "no model " + (request.hasVersion() ? "version " + request.getVersion() : "(latest)")
          + " of task '" + request.getTaskId() + "' (versions 0.." + task.get().getCurrentVersion() + ")");
      return;
    }
    GlobalModel model = request.getIncludeWeights() ? m.get() : m.get().toBuilder().clearWeights().build();
    ModelResponse.Builder r = ModelResponse.newBuilder().setModel(model);
    store.block(model.getHeight()).map(prover::serve).ifPresent(r::setBlock);
    reply(out, r.build());
  }

  @Override
  public void getReputation(GetReputationRequest request, StreamObserver<ReputationTable> out) {
    if (badTaskId(request.getTaskId(), out)) {
      return;
    }
    try (StateSnapshot s = store.snapshot()) {
      if (FlQueries.task(s, request.getTaskId()).isEmpty()) {
        notFound(out, "no task '" + request.getTaskId() + "'");
        return;
      }
      reply(out, FlQueries.reputationTable(s, request.getTaskId()));
    }
  }

  @Override
  public void getBalance(GetBalanceRequest request, StreamObserver<Balance> out) {
    if (request.getParticipant().size() != 32) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("participant must be a 32-byte public key, got "
          + request.getParticipant().size() + " bytes (" + Keys.shortHex(request.getParticipant()) + ")")
          .asRuntimeException());
      return;
    }
    try (StateSnapshot s = store.snapshot()) {
      reply(out, Balance.newBuilder().setParticipant(request.getParticipant())
          .setAmount(FlQueries.balance(s, request.getParticipant())).build());
    }
  }

  /** The round asked for (0 = the current one), or NOT_FOUND sent to {@code out}. */
  private static Optional<RoundState> lookUpRound(StateSnapshot s, GetRoundRequest request,
      StreamObserver<?> out) {
    Optional<TaskState> task = FlQueries.task(s, request.getTaskId());
    if (task.isEmpty()) {
      notFound(out, "no task '" + request.getTaskId() + "'");
      return Optional.empty();
    }
    long current = task.get().getCurrentRound();
    long asked = request.getRound() == 0 ? current : request.getRound();
    Optional<RoundState> r = FlQueries.round(s, request.getTaskId(), asked);
    if (r.isEmpty()) {
      notFound(out, "no round " + asked + " of task '" + request.getTaskId() + "' (rounds 1.." + current + ")");
    }
    return r;
  }

  /** True (and INVALID_ARGUMENT sent) when {@code taskId} is missing or not a task id. */
  private static boolean badTaskId(String taskId, StreamObserver<?> out) {
    if (taskId.isEmpty()) {
      invalid(out, "task_id is required");
      return true;
    }
    if (!TASK_ID.matcher(taskId).matches()) {
      invalid(out, "task_id must match [A-Za-z0-9._-]{1,64}, got '"
          + (taskId.length() > 80 ? taskId.substring(0, 80) + "..." : taskId) + "'");
      return true;
    }
    return false;
  }

  private static void invalid(StreamObserver<?> out, String message) {
    out.onError(Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException());
  }

  private static void notFound(StreamObserver<?> out, String message) {
    out.onError(Status.NOT_FOUND.withDescription(message).asRuntimeException());
  }

  private static <T> void reply(StreamObserver<T> out, T value) {
    out.onNext(value);
    out.onCompleted();
  }

  private static <T> void replyOr(StreamObserver<T> out, Optional<T> value, String notFound) {
    if (value.isEmpty()) {
      notFound(out, notFound);
      return;
    }
    reply(out, value.get());
  }
}
