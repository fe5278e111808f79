package org.fedledger.node.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.Clients;
import org.fedledger.node.TestChain;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.GetReceiptRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.NodeStatus;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Bad client transactions against a live four-validator network: each gets its gRPC status and
 * reason code, and no validator's ledger changes (same head, same state root, no receipt).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientRefusalIT {
  private static final String CHAIN = "refusal-it";
  private InProcessCluster cluster;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private KeyPair admin;

  @BeforeAll
  void start() throws Exception {
    cluster = new InProcessCluster(Files.createDirectories(Path.of("target", "it"))
        .resolve("refusal-" + System.currentTimeMillis()), CHAIN);
    for (int i = 0; i < 4; i++) {
      channels.add(Clients.channel(cluster.rpcPort(i)));
    }
    admin = KeyFile.read(cluster.layout.adminKey());
  }

  @AfterAll
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (cluster != null) {
      cluster.close();
    }
  }

  private Transaction.Builder registration(long nonce, String name) {
    return Transaction.newBuilder().setChainId(CHAIN).setNonce(nonce)
        .setRegisterParticipant(RegisterParticipant.newBuilder().setName(name).setRole(Role.HOSPITAL)
            .setPublicKey(TestChain.key(3000 + (int) nonce).publicKey()));
  }

  private String submit(int v, Envelope env) {
    try {
      LedgerApiGrpc.newBlockingStub(channels.get(v)).withDeadlineAfter(10, TimeUnit.SECONDS)
          .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
      return "OK";
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() + " " + e.getStatus().getDescription();
    }
  }

  @Test
  void badTransactionsGetTheirStatusAndLeaveTheLedgerUnchanged() throws Exception {
    // One good transaction first, so that its nonce is consumed.
    Envelope good = TestChain.sign(admin, registration(7, "good"));
    assertThat(submit(0, good)).isEqualTo("OK");
    LedgerApiGrpc.newBlockingStub(channels.get(0)).waitForCommit(WaitForCommitRequest.newBuilder()
        .setTxId(Hash.sha256(good.getBody()).bytes()).setTimeoutMillis(60_000).build());
    long height = cluster.validators.get(0).store().head().orElseThrow().height();
    Clients.await("all validators at height " + height, 60_000, () -> cluster.validators.stream()
        .allMatch(v -> v.store().head().orElseThrow().height() == height));
    List<NodeStatus> before = statuses();

    Envelope badSignature = TestChain.sign(admin, registration(10, "bad-signature")).toBuilder()
        .setSignature(admin.sign(ByteString.copyFromUtf8("something else"))).build();
    Envelope wrongChain = TestChain.sign(admin, registration(8, "wrong-chain").setChainId("another-chain"));
    Envelope replayedNonce = TestChain.sign(admin, registration(7, "replay"));
    Envelope oversized = TestChain.sign(admin, registration(9, "x".repeat((2 << 20) + 1000)));
    Envelope garbageBody = Envelope.newBuilder().setBody(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 0x7f}))
        .setSigner(admin.publicKey()).setSignature(admin.sign(ByteString.copyFromUtf8("x"))).build();
    for (int v = 0; v < 4; v++) {
      assertThat(submit(v, badSignature)).startsWith("INVALID_ARGUMENT BAD_SIGNATURE: ");
      assertThat(submit(v, wrongChain)).startsWith("INVALID_ARGUMENT WRONG_CHAIN: ");
      assertThat(submit(v, replayedNonce)).startsWith("INVALID_ARGUMENT NONCE_REPLAYED: ");
      assertThat(submit(v, oversized)).startsWith("INVALID_ARGUMENT TX_TOO_LARGE: ");
      assertThat(submit(v, garbageBody)).startsWith("INVALID_ARGUMENT MALFORMED_BODY: ");
      assertThat(submit(v, good)).startsWith("ALREADY_EXISTS ");
      assertThat(garbageRequest(v)).startsWith("INVALID_ARGUMENT MALFORMED_ENVELOPE: ");
    }
    // Give a (wrongly) accepted transaction every chance to commit, then check nothing did.
    Thread.sleep(2_000);
    assertThat(statuses()).isEqualTo(before);
    for (Envelope e : List.of(badSignature, wrongChain, replayedNonce, oversized, garbageBody)) {
      try {
        LedgerApiGrpc.newBlockingStub(channels.get(1)).getReceipt(GetReceiptRequest.newBuilder()
            .setTxId(Hash.sha256(e.getBody()).bytes()).build());
        throw new AssertionError("a refused transaction has a receipt");
      } catch (StatusRuntimeException expected) {
        assertThat(expected.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
      }
    }
  }

  private List<NodeStatus> statuses() {
    List<NodeStatus> out = new ArrayList<>();
    for (ManagedChannel c : channels) {
      NodeStatus s = Clients.status(c);
      // height, head and state root: the ledger; view/peers/mempool are not part of it
      out.add(NodeStatus.newBuilder().setHeight(s.getHeight()).setHeadHash(s.getHeadHash())
          .setStateRoot(s.getStateRoot()).build());
    }
    return out;
  }

  private String garbageRequest(int v) {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(LedgerApiGrpc.getSubmitTransactionMethod().getFullMethodName())
        .setRequestMarshaller(new Raw()).setResponseMarshaller(new Raw()).build();
    try {
      ClientCalls.blockingUnaryCall(channels.get(v), raw, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01});
      return "OK";
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() + " " + e.getStatus().getDescription();
    }
  }

  private static final class Raw implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
