package org.fedledger.node.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.chain.FinalityCheck;
import org.fedledger.ledger.chain.FinalityError;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.node.TestChain;
import org.fedledger.node.metrics.NodeMetrics;
import org.fedledger.node.store.BlockCommitter;
import org.fedledger.node.store.GenesisCommit;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.BlockNotification;
import org.fedledger.proto.api.GetBlockRequest;
import org.fedledger.proto.api.GetParticipantRequest;
import org.fedledger.proto.api.GetReceiptRequest;
import org.fedledger.proto.api.GetStatusRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.NodeStatus;
import org.fedledger.proto.api.StreamBlocksRequest;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.SubmitTransactionsRequest;
import org.fedledger.proto.api.SubmitTransactionsResponse;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LedgerApi over a real RocksDB store and a real gRPC server on loopback; the intake is a fake. */
class LedgerServiceTest {
  @TempDir
  Path dir;

  private final TestChain tc = TestChain.of(4, 30000);
  private LedgerStore store;
  private RpcServer server;
  private ManagedChannel channel;
  private LedgerApiGrpc.LedgerApiBlockingStub stub;
  private ScheduledExecutorService scheduler;
  private final CommitFeed feed = new CommitFeed();
  private final ConcurrentLinkedQueue<ParsedTx> offered = new ConcurrentLinkedQueue<>();
  private NodeMetrics metrics;
  /** The size of each batch handed to the intake in one offerAll call. */
  private final ConcurrentLinkedQueue<Integer> handOffs = new ConcurrentLinkedQueue<>();
  private final AtomicReference<TxIntake.Admission> answer = new AtomicReference<>(TxIntake.Admission.ACCEPTED);

  @BeforeEach
  void start() {
    store = LedgerStore.open(dir.resolve("db"), tc.chain().genesisHash(), Durability.GROUP);
    GenesisCommit.ensureGenesis(store, tc.chain());
    scheduler = Executors.newScheduledThreadPool(2);
    TxIntake intake = new TxIntake() {
      @Override
      public Admission offer(ParsedTx tx) {
        offered.add(tx);
        return answer.get();
      }

      @Override
      public List<Admission> offerAll(List<ParsedTx> txs) {
        handOffs.add(txs.size());
        return TxIntake.super.offerAll(txs);
      }
    };
    metrics = new NodeMetrics();
    List<BindableService> services = List.of(
        new LedgerService(tc.chain(), store, intake, feed,
            () -> NodeStatus.newBuilder().setChainId(TestChain.CHAIN_ID).setHeight(7).build(),
            scheduler, 60_000, metrics),
        new FlService(tc.chain(), store));
    server = new RpcServer("127.0.0.1", 0, services, tc.chain().txBytesMax() + 4096);
    server.ready();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    stub = LedgerApiGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
    scheduler.shutdownNow();
    store.close();
  }

  private Status.Code submitCode(Envelope env) {
    try {
      stub.submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private String submitError(Envelope env) {
    try {
      stub.submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
      return "OK";
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() + " " + e.getStatus().getDescription();
    }
  }

  @Test
  void validTransactionIsOfferedAndItsIdReturned() {
    Envelope env = tc.register(1, 1);
    var r = stub.submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
    assertThat(r.getTxId()).isEqualTo(Hash.sha256(env.getBody()).bytes());
    assertThat(offered).singleElement().satisfies(t -> assertThat(t.envelope()).isEqualTo(env));
  }

  @Test
  void statelessRefusalsAreInvalidArgumentWithTheirCode() throws Exception {
    Envelope good = tc.register(1, 1);
    Envelope badSig = good.toBuilder().setSignature(tc.admin().sign(ByteString.copyFromUtf8("other"))).build();
    assertThat(submitError(badSig)).startsWith("INVALID_ARGUMENT BAD_SIGNATURE:");
    Envelope wrongChain = TestChain.sign(tc.admin(), Transaction.parseFrom(good.getBody()).toBuilder()
        .setChainId("other-chain"));
    assertThat(submitError(wrongChain)).startsWith("INVALID_ARGUMENT WRONG_CHAIN:");
    Envelope garbage = Envelope.newBuilder().setBody(ByteString.copyFrom(new byte[] {(byte) 0xff, 1, 2, 3}))
        .setSigner(tc.admin().publicKey()).setSignature(tc.admin().sign(ByteString.copyFromUtf8("x"))).build();
    assertThat(submitError(garbage)).startsWith("INVALID_ARGUMENT MALFORMED_BODY:");
    Envelope huge = TestChain.sign(tc.admin(), Transaction.parseFrom(good.getBody()).toBuilder()
        .setRegisterParticipant(Transaction.parseFrom(good.getBody()).getRegisterParticipant().toBuilder()
            .setName("x".repeat(tc.chain().txBytesMax()))));
    assertThat(submitError(huge)).startsWith("INVALID_ARGUMENT TX_TOO_LARGE:");
    assertThat(submitError(Envelope.getDefaultInstance())).startsWith("INVALID_ARGUMENT BAD_SIGNER_OR_SIGNATURE_LENGTH:");
    assertThat(offered).isEmpty();
  }

  @Test
  void intakeOutcomesMapToStatuses() {
    answer.set(TxIntake.Admission.DUPLICATE);
    assertThat(submitCode(tc.register(1, 1))).isEqualTo(Status.Code.ALREADY_EXISTS);
    answer.set(TxIntake.Admission.FULL);
    assertThat(submitError(tc.register(1, 2))).isEqualTo("RESOURCE_EXHAUSTED the mempool is full; retry later");
    answer.set(TxIntake.Admission.UNAVAILABLE);
    assertThat(submitCode(tc.register(1, 3))).isEqualTo(Status.Code.UNAVAILABLE);
  }

  private SubmitTransactionsResponse submitAll(Envelope... envs) {
    return stub.submitTransactions(SubmitTransactionsRequest.newBuilder().addAllEnvelopes(List.of(envs)).build());
  }

  @Test
  void aBatchGivesOneResultPerTransactionInOrderAndOneHandOff() throws Exception {
    Envelope good1 = tc.register(1, 1);
    Envelope badSig = tc.register(2, 2).toBuilder().setSignature(tc.admin().sign(ByteString.copyFromUtf8("other"))).build();
    Envelope good2 = tc.register(3, 3);
    Envelope wrongChain = TestChain.sign(tc.admin(), Transaction.parseFrom(tc.register(4, 4).getBody()).toBuilder()
        .setChainId("other-chain"));
    var r = submitAll(good1, badSig, good2, wrongChain, Envelope.getDefaultInstance());
    assertThat(r.getResultsList()).hasSize(5);
    assertThat(r.getResults(0).getAccepted()).isTrue();
    assertThat(r.getResults(0).getCode()).isZero();
    assertThat(r.getResults(0).getReason()).isEmpty();
    assertThat(r.getResults(1).getAccepted()).isFalse();
    assertThat(r.getResults(1).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    assertThat(r.getResults(1).getReason()).startsWith("BAD_SIGNATURE:");
    assertThat(r.getResults(2).getAccepted()).isTrue();
    assertThat(r.getResults(3).getReason()).startsWith("WRONG_CHAIN:");
    assertThat(r.getResults(4).getReason()).startsWith("BAD_SIGNER_OR_SIGNATURE_LENGTH:");
    Envelope[] sent = {good1, badSig, good2, wrongChain, Envelope.getDefaultInstance()};
    for (int i = 0; i < sent.length; i++) {
      assertThat(r.getResults(i).getTxId()).isEqualTo(Hash.sha256(sent[i].getBody()).bytes());
    }
    // Only the two that passed reach the intake, together.
    assertThat(handOffs).containsExactly(2);
    assertThat(offered).extracting(ParsedTx::envelope).containsExactly(good1, good2);
  }

  @Test
  void aBatchItemGetsWhatSubmitTransactionWouldAnswer() {
    Envelope committed = tc.register(1, 1);
    commitBlock(List.of(committed));
    Envelope replayed = tc.register(2, 1); // nonce 1 is consumed by the committed one
    Envelope fresh = tc.register(3, 2);
    var r = submitAll(committed, replayed, fresh);
    assertThat(r.getResults(0).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS.value());
    assertThat(r.getResults(0).getReason()).contains("already committed at height 1");
    assertThat(r.getResults(1).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    assertThat(r.getResults(1).getReason()).startsWith("NONCE_REPLAYED:");
    assertThat(submitError(replayed)).startsWith("INVALID_ARGUMENT NONCE_REPLAYED:"); // the same answer
    assertThat(r.getResults(2).getAccepted()).isTrue();
    answer.set(TxIntake.Admission.FULL);
    var full = submitAll(tc.register(4, 3)).getResults(0);
    assertThat(full.getAccepted()).isFalse();
    assertThat(full.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
    assertThat(full.getReason()).isEqualTo("the mempool is full; retry later");
    answer.set(TxIntake.Admission.DUPLICATE);
    assertThat(submitAll(tc.register(5, 4)).getResults(0).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS.value());
    answer.set(TxIntake.Admission.UNAVAILABLE);
    assertThat(submitAll(tc.register(6, 5)).getResults(0).getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
  }

  @Test
  void aTransactionRepeatedInABatchIsOfferedOnceAndTheCopiesRefused() {
    Envelope a = tc.register(1, 1);
    Envelope b = tc.register(2, 2);
    // The same body with a bad signature first: refused for that, and the good copy is then checked.
    Envelope aBadSig = a.toBuilder().setSignature(tc.admin().sign(ByteString.copyFromUtf8("other"))).build();
    var r = submitAll(aBadSig, a, b, a, b);
    assertThat(r.getResults(0).getReason()).startsWith("BAD_SIGNATURE:");
    assertThat(r.getResults(1).getAccepted()).isTrue();
    assertThat(r.getResults(2).getAccepted()).isTrue();
    String idA = Hash.sha256(a.getBody()).hex();
    assertThat(r.getResults(3).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS.value());
    assertThat(r.getResults(3).getReason()).isEqualTo("transaction " + idA + " is also at index 1 of this batch");
    assertThat(r.getResults(4).getReason()).endsWith("is also at index 2 of this batch");
    assertThat(r.getResults(3).getTxId()).isEqualTo(r.getResults(1).getTxId());
    assertThat(handOffs).containsExactly(2);
    assertThat(offered).extracting(ParsedTx::envelope).containsExactly(a, b);
  }

  @Test
  void emptyAndOversizedBatchesAreInvalidArgumentAndCountedAsBatchesNotTransactions() {
    assertThatThrownBy(this::submitAll).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).isEqualTo("BAD_BATCH: the batch holds no envelope (send 1 to 1000)");
    });
    Envelope[] tooMany = new Envelope[LedgerService.SUBMIT_BATCH_MAX + 1];
    java.util.Arrays.fill(tooMany, tc.register(1, 1));
    assertThatThrownBy(() -> submitAll(tooMany)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription())
          .isEqualTo("BAD_BATCH: the batch holds 1001 envelopes, more than the maximum of 1000; split it");
    });
    Envelope[] most = java.util.Arrays.copyOf(tooMany, LedgerService.SUBMIT_BATCH_MAX);
    var r = submitAll(most);
    assertThat(r.getResultsList()).hasSize(LedgerService.SUBMIT_BATCH_MAX);
    assertThat(r.getResults(0).getAccepted()).isTrue();
    assertThat(r.getResultsList().subList(1, LedgerService.SUBMIT_BATCH_MAX)).allMatch(x -> !x.getAccepted()
        && x.getCode() == Status.Code.ALREADY_EXISTS.value());
    assertThat(offered).hasSize(1);
    // Two refused calls; 999 refused transactions, all of the one batch that was looked at.
    assertThat(metrics.batchesRefused.labelValues("empty").get()).isEqualTo(1.0);
    assertThat(metrics.batchesRefused.labelValues("too_many").get()).isEqualTo(1.0);
    assertThat(metrics.txsRefused.collect().getDataPoints())
        .extracting(p -> p.getLabels().get("reason")).containsExactly("DUPLICATE");
    assertThat(metrics.txsRefused.labelValues("DUPLICATE").get()).isEqualTo(LedgerService.SUBMIT_BATCH_MAX - 1.0);
  }

  @Test
  void aBatchAboveTheMessageLimitIsRefusedByGrpcBeforeItIsRead() {
    // A body of garbage bytes: the transport refuses the request before any handler sees it.
    Envelope big = Envelope.newBuilder().setBody(ByteString.copyFrom(new byte[tc.chain().txBytesMax() + 8192])).build();
    assertThatThrownBy(() -> submitAll(big)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(e.getStatus().getDescription()).contains("exceeds maximum size");
    });
    assertThat(handOffs).isEmpty();
  }

  @Test
  void garbageBatchBytesAreInvalidArgument() {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(LedgerApiGrpc.getSubmitTransactionsMethod().getFullMethodName())
        .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT,
        new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 0x01}))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("BAD_BATCH: ");
        });
    assertThat(handOffs).isEmpty();
  }

  private ParsedTx parsed(Envelope env) {
    return ((TxCheck.Valid) new TxValidator(tc.chain()).check(env)).tx();
  }

  private CertifiedBlock commitBlock(List<Envelope> envs) {
    return commitBlock(envs, false);
  }

  /** Commits a block of {@code envs}, with a certificate of 2f+1 signatures if {@code certified}. */
  private CertifiedBlock commitBlock(List<Envelope> envs, boolean certified) {
    List<ParsedTx> txs = new ArrayList<>();
    for (Envelope e : envs) {
      txs.add(parsed(e));
    }
    var head = store.head().orElseThrow();
    Block b = Blocks.build(tc.chain(), head, txs, store.stateRoot(), head.height(), 0, 0, head.timestampMillis() + 1);
    CertifiedBlock cb = CertifiedBlock.newBuilder().setBlock(b)
        .setCertificate(tc.certificate(head.height() + 1, Blocks.hash(b), certified)).build();
    new BlockCommitter(tc.chain(), store, Durability.GROUP).commit(cb, txs);
    feed.committed(head.height() + 1);
    return cb;
  }

  @Test
  void committedTransactionHasAReceiptIsDuplicateAndWaitersWake() throws Exception {
    Envelope env = tc.register(1, 1);
    ByteString id = Hash.sha256(env.getBody()).bytes();
    assertThatThrownBy(() -> stub.getReceipt(GetReceiptRequest.newBuilder().setTxId(id).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    var waiter = LedgerApiGrpc.newFutureStub(channel).waitForCommit(WaitForCommitRequest.newBuilder().setTxId(id).build());
    CertifiedBlock cb = commitBlock(List.of(env));
    var waited = waiter.get();
    assertThat(waited.getReceipt().getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(waited.getBlockHash()).isEqualTo(Blocks.hash(cb.getBlock()).bytes());
    assertThat(stub.getReceipt(GetReceiptRequest.newBuilder().setTxId(id).build()).getReceipt().getHeight()).isEqualTo(1);
    assertThat(submitError(env)).startsWith("ALREADY_EXISTS transaction " + Hash.of(id).hex() + " is already committed");
    assertThat(stub.getBlock(GetBlockRequest.newBuilder().setHeight(1).build())).isEqualTo(cb);
    assertThat(stub.getBlock(GetBlockRequest.newBuilder().setLatest(true).build())).isEqualTo(cb);
    assertThat(stub.getBlock(GetBlockRequest.newBuilder().setHash(Blocks.hash(cb.getBlock()).bytes()).build())).isEqualTo(cb);
    assertThat(stub.getParticipant(GetParticipantRequest.newBuilder()
        .setPublicKey(TestChain.key(1001).publicKey()).build()).getName()).isEqualTo("hospital-1");
    assertThatThrownBy(() -> stub.getBlock(GetBlockRequest.newBuilder().setHeight(9).build()))
        .hasMessageContaining("NOT_FOUND: no committed block at height 9");
  }

  private CertifiedBlock getBlock(long height) {
    return stub.getBlock(GetBlockRequest.newBuilder().setHeight(height).build());
  }

  private FinalityCheck.Final assertFinal(CertifiedBlock served, long certifiedHeight) {
    FinalityCheck c = new Finality(tc.chain()).check(served);
    assertThat(c.ok()).as(c.toString()).isTrue();
    FinalityCheck.Final f = (FinalityCheck.Final) c;
    assertThat(f.certifiedHeight()).isEqualTo(certifiedHeight);
    return f;
  }

  @Test
  void aBlockWithoutACertificateIsServedWithTheProofOfTheFirstCertifiedBlockAbove() {
    CertifiedBlock one = commitBlock(List.of(tc.register(1, 1)));
    CertifiedBlock two = commitBlock(List.of(tc.register(2, 2)));
    CertifiedBlock three = commitBlock(List.of(tc.register(3, 3)), true);
    CertifiedBlock four = commitBlock(List.of(tc.register(4, 4)));

    // Block 1: headers 2 and 3, then block 3's certificate; the transactions are those of the block.
    CertifiedBlock served = getBlock(1);
    assertThat(served.getBlock()).isEqualTo(one.getBlock());
    assertThat(served.getCertificate()).isEqualTo(one.getCertificate());
    assertThat(served.getProof().getHeadersList()).containsExactly(two.getBlock().getHeader(), three.getBlock().getHeader());
    assertThat(served.getProof().getCertificate()).isEqualTo(three.getCertificate());
    assertFinal(served, 3);
    assertFinal(getBlock(2), 3);
    assertThat(stub.getBlock(GetBlockRequest.newBuilder().setHash(Blocks.hash(two.getBlock()).bytes()).build()))
        .isEqualTo(getBlock(2));
    // The genesis block has no signatures either: proved by blocks 1..3.
    assertThat(getBlock(0).getProof().getHeadersCount()).isEqualTo(3);
    assertFinal(getBlock(0), 3);
    // Block 3 is certified: served as stored, final by its own certificate.
    assertThat(getBlock(3)).isEqualTo(three);
    assertThat(assertFinal(getBlock(3), 3).selfCertified()).isTrue();
    // Block 4, the uncertified tail (also the head): no proof yet, and the client is told to ask again.
    assertThat(getBlock(4)).isEqualTo(four);
    assertThat(stub.getBlock(GetBlockRequest.newBuilder().setLatest(true).build())).isEqualTo(four);
    FinalityCheck tail = new Finality(tc.chain()).check(getBlock(4));
    assertThat(tail).isInstanceOfSatisfying(FinalityCheck.NotProved.class,
        n -> assertThat(n.error()).isEqualTo(FinalityError.NO_PROOF));
    String rpc = "--rpc=127.0.0.1:" + server.port();
    assertThat(cli(0, "block", rpc, "--height", "4")).contains("\"finality\": {\"final\": false, \"reason\": \"NO_PROOF\"")
        .doesNotContain("\"proof\"");
    assertThat(cli(0, "block", rpc, "--height", "1")).contains("\"proof\": {\"headers\": 2,")
        .contains("\"finality\": {\"final\": true, \"by\": \"the certificate of block 3 and the headers up to it\"}");
    assertThat(cli(0, "block", rpc, "--height", "3")).contains("\"finality\": {\"final\": true, \"by\": \"its own certificate\"}");
    // Checked against another chain's genesis, the certificate does not verify: exit code 1.
    Path otherGenesis = dir.resolve("other-genesis.json");
    org.fedledger.ledger.chain.GenesisFile.write(otherGenesis, TestChain.of(4, 31000).chain().genesis().toBuilder()
        .setChainId("other-chain").build());
    assertThat(cli(1, "block", rpc, "--height", "3", "--genesis", otherGenesis.toString()))
        .contains("\"final\": false, \"reason\": \"WRONG_CHAIN\"");

    // Once a certified block commits above it, block 4 has its proof; proofs are never stored.
    CertifiedBlock five = commitBlock(List.of(), false);
    CertifiedBlock six = commitBlock(List.of(tc.register(5, 5)), true);
    assertThat(getBlock(4).getProof().getHeadersList()).containsExactly(five.getBlock().getHeader(), six.getBlock().getHeader());
    assertFinal(getBlock(4), 6);
    assertFinal(getBlock(1), 3);
    for (long h = 0; h <= 6; h++) {
      assertThat(store.block(h).orElseThrow().hasProof()).isFalse();
    }
  }

  /** Runs the {@code fedledger} CLI, checks its exit code and returns what it printed. */
  static synchronized String cli(int expectedCode, String... args) {
    java.io.PrintStream old = System.out;
    java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
    int code;
    System.setOut(new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      code = org.fedledger.node.cli.Fedledger.run(args);
    } finally {
      System.setOut(old);
    }
    String out = buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(code).as("fedledger " + String.join(" ", args) + "\n" + out).isEqualTo(expectedCode);
    return out;
  }

  @Test
  void replayedNonceIsRefusedAtSubmission() {
    commitBlock(List.of(tc.register(1, 5)));
    assertThat(submitError(tc.register(2, 5))).startsWith("INVALID_ARGUMENT NONCE_REPLAYED: nonce 5 of signer");
    assertThat(offered).isEmpty();
  }

  @Test
  void garbageRequestBytesAreInvalidArgument() {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(LedgerApiGrpc.getSubmitTransactionMethod().getFullMethodName())
        .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT,
        new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 0x01}))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("MALFORMED_ENVELOPE: ");
        });
    assertThat(offered).isEmpty();
  }

  /** Raw bytes, for sending what no generated stub would. */
  static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  @Test
  void waitForCommitTimesOut() {
    ByteString id = Hash.sha256(ByteString.copyFromUtf8("never")).bytes();
    assertThatThrownBy(() -> stub.waitForCommit(WaitForCommitRequest.newBuilder().setTxId(id).setTimeoutMillis(50).build()))
        .hasMessageContaining("DEADLINE_EXCEEDED");
    assertThat(feed.listenerCount()).isZero();
  }

  @Test
  void streamBlocksSendsThePastThenNewBlocks() {
    commitBlock(List.of(tc.register(1, 1)));
    Iterator<BlockNotification> it = stub.streamBlocks(StreamBlocksRequest.newBuilder().setFromHeight(1)
        .setIncludeTransactions(true).build());
    BlockNotification first = it.next();
    assertThat(first.getReceiptsCount()).isEqualTo(1);
    assertThat(first.getStateRoot()).isEqualTo(store.stateRootAt(1).orElseThrow().bytes());
    commitBlock(List.of(tc.register(2, 2), tc.register(3, 3)));
    BlockNotification second = it.next();
    assertThat(second.getBlock().getCertificate().getHeight()).isEqualTo(2);
    assertThat(second.getBlock().getBlock().getTransactionsCount()).isEqualTo(2);
  }

  @Test
  void statusHealthAndReflectionAreServed() {
    assertThat(stub.getStatus(GetStatusRequest.getDefaultInstance()).getHeight()).isEqualTo(7);
    var reflection = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel);
    var answers = new java.util.concurrent.LinkedBlockingQueue<io.grpc.reflection.v1.ServerReflectionResponse>();
    var requests = reflection.serverReflectionInfo(new io.grpc.stub.StreamObserver<>() {
      @Override
      public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
        answers.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
    try {
      var listed = answers.poll(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(listed).isNotNull();
      assertThat(listed.getListServicesResponse().getServiceList()).extracting(s -> s.getName())
          .contains("fedledger.v1.LedgerApi", "fedledger.v1.FederatedLearningApi", "grpc.health.v1.Health");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    requests.onCompleted();
    assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder()
        .setService("fedledger.v1.LedgerApi").build()).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }
}
