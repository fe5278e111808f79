package org.fedledger.testnet.client;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.Participant;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReputationTable;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.api.FederatedLearningApiGrpc;
import org.fedledger.proto.api.GetGenesisRequest;
import org.fedledger.proto.api.GetModelRequest;
import org.fedledger.proto.api.GetParticipantRequest;
import org.fedledger.proto.api.GetReputationRequest;
import org.fedledger.proto.api.GetRoundRequest;
import org.fedledger.proto.api.GetTaskRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the validators' gRPC API (node_api.proto). It talks to one validator at a time
 * and moves on to the next address when a call fails with UNAVAILABLE or DEADLINE_EXCEEDED
 * (any validator serves any request). Every call has a deadline. Thread-safe.
 */
public final class NodeClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeClient.class);
  private static final long CALL_DEADLINE_MILLIS = 10_000;

  private final List<String> addresses;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private int current;

  /** A client of the validators at {@code addresses} ({@code host:port}, at least one). */
  public NodeClient(List<String> addresses) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("at least one validator RPC address is needed");
    }
    this.addresses = List.copyOf(addresses);
    for (String a : this.addresses) {
      channels.add(ManagedChannelBuilder.forTarget(a).usePlaintext().build());
    }
  }

  /** The chain's genesis. */
  public Genesis genesis() {
    return call(ch -> LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(CALL_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
        .getGenesis(GetGenesisRequest.getDefaultInstance()));
  }

  /**
   * Submits a signed envelope and returns its id. ALREADY_EXISTS (a retry of a transaction
   * that arrived) counts as success.
   */
  public ByteString submit(Envelope envelope) {
    ByteString id = org.fedledger.ledger.crypto.Hash.sha256(envelope.getBody()).bytes();
    try {
      return call(ch -> LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(CALL_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
          .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(envelope).build()).getTxId());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
        return id;
      }
      throw e;
    }
  }

  /** Waits up to {@code timeoutMillis} for the transaction's receipt. */
  public Receipt waitForCommit(ByteString txId, long timeoutMillis) {
    return call(ch -> LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMillis + 5_000, TimeUnit.MILLISECONDS)
        .waitForCommit(WaitForCommitRequest.newBuilder().setTxId(txId).setTimeoutMillis(timeoutMillis).build())
        .getReceipt());
  }

  /** The registered participant, if any. */
  public Optional<Participant> participant(ByteString publicKey) {
    return notFoundAsEmpty(() -> call(ch -> LedgerApiGrpc.newBlockingStub(ch)
        .withDeadlineAfter(CALL_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
        .getParticipant(GetParticipantRequest.newBuilder().setPublicKey(publicKey).build())));
  }

  /** The task, if it exists. */
  public Optional<TaskState> task(String taskId) {
    return notFoundAsEmpty(() -> call(ch -> fl(ch).getTask(GetTaskRequest.newBuilder().setTaskId(taskId).build())));
  }

  /** A round's state. */
  public RoundState round(String taskId, long round) {
    return call(ch -> fl(ch).getRound(GetRoundRequest.newBuilder().setTaskId(taskId).setRound(round).build()));
  }

  /** Global model {@code version} with its weights. */
  public GlobalModel model(String taskId, long version) {
    return call(ch -> fl(ch).getModel(GetModelRequest.newBuilder().setTaskId(taskId).setVersion(version)
        .setIncludeWeights(true).build()).getModel());
  }

  /** The task's reputation table. */
  public ReputationTable reputation(String taskId) {
    return call(ch -> fl(ch).getReputation(GetReputationRequest.newBuilder().setTaskId(taskId).build()));
  }

  private static FederatedLearningApiGrpc.FederatedLearningApiBlockingStub fl(ManagedChannel ch) {
    return FederatedLearningApiGrpc.newBlockingStub(ch).withDeadlineAfter(CALL_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
  }

  private static <T> Optional<T> notFoundAsEmpty(java.util.function.Supplier<T> call) {
    try {
      return Optional.of(call.get());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Runs {@code rpc} on the current validator, trying each other validator once when it is unreachable. */
  private <T> T call(Function<ManagedChannel, T> rpc) {
    StatusRuntimeException last = null;
    for (int attempt = 0; attempt < channels.size(); attempt++) {
      int index;
      synchronized (this) {
        index = current;
      }
      try {
        return rpc.apply(channels.get(index));
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
          throw e;
        }
        last = e;
        synchronized (this) {
          if (current == index) {
            current = (index + 1) % channels.size();
          }
        }
        LOG.warn("validator {} failed ({}); trying {}", addresses.get(index), code, addresses.get(current));
      }
    }
    throw last;
  }

  @Override
  public void close() {
    for (ManagedChannel ch : channels) {
      ch.shutdown();
    }
    for (ManagedChannel ch : channels) {
      try {
        if (!ch.awaitTermination(5, TimeUnit.SECONDS)) {
          ch.shutdownNow();
        }
      } catch (InterruptedException e) {
        ch.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }
}
