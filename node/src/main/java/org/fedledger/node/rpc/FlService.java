package org.fedledger.node.rpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import org.fedledger.contracts.fl.FlQueries;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.ledger.store.StateSnapshot;
import org.fedledger.proto.Balance;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.ReputationTable;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.api.FederatedLearningApiGrpc;
import org.fedledger.proto.api.GetBalanceRequest;
import org.fedledger.proto.api.GetModelRequest;
import org.fedledger.proto.api.GetReputationRequest;
import org.fedledger.proto.api.GetRoundRequest;
import org.fedledger.proto.api.GetTaskRequest;
import org.fedledger.proto.api.ListTasksRequest;
import org.fedledger.proto.api.ListTasksResponse;
import org.fedledger.proto.api.ModelResponse;

/**
 * The FederatedLearningApi gRPC service: read-only queries over the committed state through
 * fl-contracts' {@link FlQueries}, each answered from one consistent snapshot.
 */
public final class FlService extends FederatedLearningApiGrpc.FederatedLearningApiImplBase {
  private final LedgerStore store;

  /** A service reading {@code store}. */
  public FlService(LedgerStore store) {
    this.store = store;
  }

  @Override
  public void listTasks(ListTasksRequest request, StreamObserver<ListTasksResponse> out) {
    try (StateSnapshot s = store.snapshot()) {
      reply(out, ListTasksResponse.newBuilder().addAllTaskIds(FlQueries.taskIds(s)).build());
    }
  }

  @Override
  public void getTask(GetTaskRequest request, StreamObserver<TaskState> out) {
    try (StateSnapshot s = store.snapshot()) {
      replyOr(out, FlQueries.task(s, request.getTaskId()), "no task '" + request.getTaskId() + "'");
    }
  }

  @Override
  public void getRound(GetRoundRequest request, StreamObserver<RoundState> out) {
    try (StateSnapshot s = store.snapshot()) {
      Optional<RoundState> r = request.getRound() == 0
          ? FlQueries.currentRound(s, request.getTaskId())
          : FlQueries.round(s, request.getTaskId(), request.getRound());
      replyOr(out, r, "no round " + (request.getRound() == 0 ? "(current)" : request.getRound())
          + " of task '" + request.getTaskId() + "'");
    }
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<ModelResponse> out) {
    Optional<GlobalModel> m;
    try (StateSnapshot s = store.snapshot()) {
      m = request.hasVersion()
          ? FlQueries.model(s, request.getTaskId(), request.getVersion())
          : FlQueries.latestModel(s, request.getTaskId());
    }
    if (m.isEmpty()) {
      out.onError(Status.NOT_FOUND.withDescription("no model " + (request.hasVersion() ? "version "
          + request.getVersion() : "(latest)") + " of task '" + request.getTaskId() + "'").asRuntimeException());
      return;
    }
    GlobalModel model = request.getIncludeWeights() ? m.get() : m.get().toBuilder().clearWeights().build();
    ModelResponse.Builder r = ModelResponse.newBuilder().setModel(model);
    store.block(model.getHeight()).ifPresent(r::setBlock);
    reply(out, r.build());
  }

  @Override
  public void getReputation(GetReputationRequest request, StreamObserver<ReputationTable> out) {
    try (StateSnapshot s = store.snapshot()) {
      if (FlQueries.task(s, request.getTaskId()).isEmpty()) {
        out.onError(Status.NOT_FOUND.withDescription("no task '" + request.getTaskId() + "'").asRuntimeException());
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

  private static <T> void reply(StreamObserver<T> out, T value) {
    out.onNext(value);
    out.onCompleted();
  }

  private static <T> void replyOr(StreamObserver<T> out, Optional<T> value, String notFound) {
    if (value.isEmpty()) {
      out.onError(Status.NOT_FOUND.withDescription(notFound).asRuntimeException());
      return;
    }
    reply(out, value.get());
  }
}
