package org.fedledger.testnet.client;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedledger.contracts.fl.FlQueries;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
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
import org.fedledger.proto.api.ModelResponse;
import org.fedledger.proto.api.ReceiptResponse;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.SubmitTransactionResponse;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.fedledger.testnet.sim.InProcessLedger;

/**
 * A test validator: the gRPC API that the client uses (a subset of node_api.proto) served on
 * loopback over an {@link InProcessLedger}, every submitted transaction committed at once in
 * a block of its own. It lets the client loop be tested over real gRPC and the real
 * contracts without consensus; the end-to-end test against the real node is separate.
 */
final class MemoryNode implements AutoCloseable {
  private final InProcessLedger ledger;
  private final Genesis genesis;
  private final Map<ByteString, Receipt> receipts = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  private final Server server;

  MemoryNode(KeyPair admin) throws IOException {
    ledger = new InProcessLedger(admin);
    genesis = Genesis.newBuilder().setChainId(InProcessLedger.CHAIN_ID)
        .addAdmins(GenesisAdmin.newBuilder().setName("admin").setPublicKey(admin.publicKey())).build();
    server = ServerBuilder.forPort(0).addService(new Ledger()).addService(new Fl()).build().start();
  }

  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination();
  }

  private synchronized ByteString submit(org.fedledger.proto.Envelope e) {
    ByteString id = Hash.sha256(e.getBody()).bytes();
    ledger.submit(e.toByteString());
    BlockResult block = ledger.commit();
    receipts.put(id, block.receipts().get(0));
    return id;
  }

  private synchronized <T> T read(java.util.function.Function<org.fedledger.ledger.exec.StateView, T> f) {
    return f.apply(ledger.state());
  }

  private static <T> void reply(StreamObserver<T> o, T value) {
    o.onNext(value);
    o.onCompleted();
  }

  private static void notFound(StreamObserver<?> o, String what) {
    o.onError(Status.NOT_FOUND.withDescription(what).asRuntimeException());
  }

  private final class Ledger extends LedgerApiGrpc.LedgerApiImplBase {
    @Override
    public void getGenesis(GetGenesisRequest request, StreamObserver<Genesis> o) {
      reply(o, genesis);
    }

    @Override
    public void submitTransaction(SubmitTransactionRequest request, StreamObserver<SubmitTransactionResponse> o) {
      try {
        reply(o, SubmitTransactionResponse.newBuilder().setTxId(submit(request.getEnvelope())).build());
      } catch (IllegalArgumentException e) {
        o.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      }
    }

    @Override
    public void waitForCommit(WaitForCommitRequest request, StreamObserver<ReceiptResponse> o) {
      Receipt r;
      synchronized (MemoryNode.this) {
        r = receipts.get(request.getTxId());
      }
      if (r == null) {
        notFound(o, "unknown transaction");
      } else {
        reply(o, ReceiptResponse.newBuilder().setReceipt(r).build());
      }
    }

    @Override
    public void getParticipant(GetParticipantRequest request, StreamObserver<Participant> o) {
      java.util.Optional<Participant> p = read(s -> Registry.participant(s, request.getPublicKey()));
      if (p.isEmpty()) {
        notFound(o, "no participant");
      } else {
        reply(o, p.get());
      }
    }
  }

  private final class Fl extends FederatedLearningApiGrpc.FederatedLearningApiImplBase {
    @Override
    public void getTask(GetTaskRequest request, StreamObserver<TaskState> o) {
      java.util.Optional<TaskState> t = read(s -> FlQueries.task(s, request.getTaskId()));
      if (t.isEmpty()) {
        notFound(o, "no task " + request.getTaskId());
      } else {
        reply(o, t.get());
      }
    }

    @Override
    public void getRound(GetRoundRequest request, StreamObserver<RoundState> o) {
      java.util.Optional<RoundState> r = read(s -> request.getRound() == 0 ? FlQueries.currentRound(s, request.getTaskId())
          : FlQueries.round(s, request.getTaskId(), request.getRound()));
      if (r.isEmpty()) {
        notFound(o, "no round");
      } else {
        reply(o, r.get());
      }
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<ModelResponse> o) {
      java.util.Optional<GlobalModel> m = read(s -> request.hasVersion()
          ? FlQueries.model(s, request.getTaskId(), request.getVersion()) : FlQueries.latestModel(s, request.getTaskId()));
      if (m.isEmpty()) {
        notFound(o, "no model");
      } else {
        reply(o, ModelResponse.newBuilder().setModel(m.get()).build());
      }
    }

    @Override
    public void getReputation(GetReputationRequest request, StreamObserver<ReputationTable> o) {
      reply(o, read(s -> FlQueries.reputationTable(s, request.getTaskId())));
    }
  }

}
