package org.fedledger.node.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.fedledger.contracts.fl.Weights;
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
import org.fedledger.node.store.BlockCommitter;
import org.fedledger.node.store.GenesisCommit;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Contributor;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.ModelSegment;
import org.fedledger.proto.ReputationRecord;
import org.fedledger.proto.ReputationStatus;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.RoundStatus;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateOutcome;
import org.fedledger.proto.api.FederatedLearningApiGrpc;
import org.fedledger.proto.api.GetBalanceRequest;
import org.fedledger.proto.api.GetModelRequest;
import org.fedledger.proto.api.GetReputationRequest;
import org.fedledger.proto.api.GetRoundRequest;
import org.fedledger.proto.api.GetTaskRequest;
import org.fedledger.proto.api.ListTasksRequest;
import org.fedledger.proto.api.ModelResponse;
import org.fedledger.proto.api.RoundStatusResponse;
import org.fedledger.proto.api.UpdateAttempt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FederatedLearningApi over a real gRPC server on loopback and a real RocksDB store whose
 * blocks were executed by the node's contracts: a FedAvg task, one round with three accepted
 * and three refused updates, then every query and every bad request.
 */
class FlServiceTest {
  private static final String TASK = "t1";

  @TempDir
  Path dir;

  private final TestChain tc = TestChain.of(4, 30000);
  private LedgerStore store;
  private RpcServer server;
  private ManagedChannel channel;
  private FederatedLearningApiGrpc.FederatedLearningApiBlockingStub fl;
  private final List<ByteString> accepted = new ArrayList<>();
  private final List<ByteString> refused = new ArrayList<>();
  private CertifiedBlock closingBlock;

  @BeforeEach
  void start() {
    store = LedgerStore.open(dir.resolve("db"), tc.chain().genesisHash(), Durability.GROUP);
    GenesisCommit.ensureGenesis(store, tc.chain());
    server = new RpcServer("127.0.0.1", 0, List.of(new FlService(tc.chain(), store)), tc.chain().txBytesMax() + 4096);
    server.ready();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    fl = FederatedLearningApiGrpc.newBlockingStub(channel);

    commitBlock(List.of(tc.register(1, 1), tc.register(2, 2), tc.register(3, 3), tc.register(4, 4)));
    CreateTask spec = CreateTask.newBuilder().setTaskId(TASK).setRule(AggregationRule.FEDAVG)
        .addLayout(ModelSegment.newBuilder().setName("weights").setLength(3))
        .addLayout(ModelSegment.newBuilder().setName("bias").setLength(1))
        .setInitialWeights(Weights.pack(new float[4])).setMinUpdates(3).setMaxUpdates(10)
        .setRoundDeadlineBlocks(50).setNormBound(100).setRewardPerUpdate(5).build();
    commitBlock(List.of(TestChain.sign(tc.admin(), Transaction.newBuilder().setChainId(TestChain.CHAIN_ID)
        .setNonce(5).setCreateTask(spec))));
    // Block 3: two accepted updates and three refused ones; block 4: the third accepted one closes the round.
    Envelope a1 = update(1, 10, 0, new float[] {1, 1, 1, 1}, 10);
    Envelope a2 = update(2, 10, 0, new float[] {2, 2, 2, 2}, 30);
    Envelope duplicate = update(1, 11, 0, new float[] {5, 5, 5, 5}, 10);
    Envelope wrongLength = update(3, 10, 0, new float[] {1, 1}, 10);
    Envelope nonFinite = update(4, 10, 0, new float[] {1, Float.NaN, 1, 1}, 10);
    commitBlock(List.of(a1, a2, duplicate, wrongLength, nonFinite));
    Envelope a3 = update(3, 11, 0, new float[] {3, 3, 3, 3}, 10);
    closingBlock = commitBlock(List.of(a3));
    for (Envelope e : List.of(a1, a2, a3)) {
      accepted.add(Blocks.txId(e).bytes());
    }
    for (Envelope e : List.of(duplicate, wrongLength, nonFinite)) {
      refused.add(Blocks.txId(e).bytes());
    }
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
    store.close();
  }

  private Envelope update(int hospital, long nonce, long base, float[] weights, long samples) {
    return TestChain.sign(TestChain.key(1000 + hospital), Transaction.newBuilder().setChainId(TestChain.CHAIN_ID)
        .setNonce(nonce).setSubmitUpdate(SubmitUpdate.newBuilder().setTaskId(TASK).setRound(1)
            .setBaseVersion(base).setWeights(Weights.pack(weights)).setSampleCount(samples)));
  }

  private CertifiedBlock commitBlock(List<Envelope> envs) {
    return commitBlock(envs, false);
  }

  /** Commits a block of {@code envs}, with a certificate of 2f+1 signatures if {@code certified}. */
  private CertifiedBlock commitBlock(List<Envelope> envs, boolean certified) {
    List<ParsedTx> txs = new ArrayList<>();
    for (Envelope e : envs) {
      txs.add(((TxCheck.Valid) new TxValidator(tc.chain()).check(e)).tx());
    }
    var head = store.head().orElseThrow();
    Block b = Blocks.build(tc.chain(), head, txs, store.stateRoot(), head.height(), 0, 0, head.timestampMillis() + 1);
    CertifiedBlock cb = CertifiedBlock.newBuilder().setBlock(b)
        .setCertificate(tc.certificate(head.height() + 1, Blocks.hash(b), certified)).build();
    new BlockCommitter(tc.chain(), store, Durability.GROUP).commit(cb, txs);
    return cb;
  }

  private static void assertStatus(ThrowingCallable call, Status.Code code, String description) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).isEqualTo(description);
    });
  }

  @Test
  void taskAndTaskList() {
    TaskState t = fl.getTask(GetTaskRequest.newBuilder().setTaskId(TASK).build());
    assertThat(t.getSpec().getRule()).isEqualTo(AggregationRule.FEDAVG);
    assertThat(t.getCreator()).isEqualTo(tc.admin().publicKey());
    assertThat(t.getCreatedHeight()).isEqualTo(2);
    assertThat(t.getCurrentRound()).isEqualTo(2);
    assertThat(t.getCurrentVersion()).isEqualTo(1);
    assertThat(t.getModelLength()).isEqualTo(4);
    assertThat(fl.listTasks(ListTasksRequest.getDefaultInstance()).getTaskIdsList()).containsExactly(TASK);
  }

  @Test
  void roundStatusListsSubmittedAcceptedAndRefusedWithReasons() {
    RoundStatusResponse r = fl.getRoundStatus(GetRoundRequest.newBuilder().setTaskId(TASK).setRound(1).build());
    RoundState round = r.getRound();
    assertThat(round.getStatus()).isEqualTo(RoundStatus.ROUND_CLOSED);
    assertThat(round.getCloseReason()).isEqualTo("QUORUM");
    assertThat(round.getProducedVersion()).isEqualTo(1);
    assertThat(round.getSubmissionsList()).hasSize(3)
        .allSatisfy(s -> assertThat(s.getOutcome()).isEqualTo(UpdateOutcome.SELECTED));
    assertThat(round.getSubmissionsList()).extracting(s -> s.getTxId()).containsExactlyInAnyOrderElementsOf(accepted);
    assertThat(r.getScannedFromHeight()).isEqualTo(round.getOpenedHeight());
    assertThat(r.getScannedToHeight()).isEqualTo(4);

    List<UpdateAttempt> attempts = r.getAttemptsList();
    assertThat(attempts).extracting(UpdateAttempt::getTxId)
        .containsExactly(accepted.get(0), accepted.get(1), refused.get(0), refused.get(1), refused.get(2),
            accepted.get(2));
    assertThat(attempts).extracting(UpdateAttempt::getHeight).containsExactly(3L, 3L, 3L, 3L, 3L, 4L);
    assertThat(attempts).extracting(UpdateAttempt::getAccepted).containsExactly(true, true, false, false, false, true);
    assertThat(attempts).extracting(UpdateAttempt::getCode)
        .containsExactly("", "", "DUPLICATE_UPDATE", "WRONG_LENGTH", "NON_FINITE", "");
    assertThat(attempts.get(3).getReason()).isEqualTo("weights hold 8 bytes, model needs 16");
    assertThat(attempts.get(4).getReason()).isEqualTo("weight 1 is NaN");
    assertThat(attempts.get(2).getParticipant()).isEqualTo(TestChain.key(1001).publicKey());
    assertThat(attempts.get(1).getSampleCount()).isEqualTo(30);

    // Round 0 is the current round: round 2, open, nothing submitted yet.
    RoundStatusResponse current = fl.getRoundStatus(GetRoundRequest.newBuilder().setTaskId(TASK).build());
    assertThat(current.getRound().getRound()).isEqualTo(2);
    assertThat(current.getRound().getStatus()).isEqualTo(RoundStatus.ROUND_OPEN);
    assertThat(current.getRound().getBaseVersion()).isEqualTo(1);
    assertThat(current.getAttemptsList()).isEmpty();
    assertThat(fl.getRound(GetRoundRequest.newBuilder().setTaskId(TASK).setRound(1).build())).isEqualTo(round);
  }

  @Test
  void modelByVersionWithHashAndProvenance() throws Exception {
    ModelResponse r = fl.getModel(GetModelRequest.newBuilder().setTaskId(TASK).setVersion(1)
        .setIncludeWeights(true).build());
    GlobalModel m = r.getModel();
    // Sample-weighted mean: (1*10 + 2*30 + 3*10) / 50 = 2.0.
    assertThat(Weights.unpack(m.getWeights())).containsExactly(2f, 2f, 2f, 2f);
    assertThat(m.getSha256()).isEqualTo(Hash.sha256(m.getWeights()).bytes());
    assertThat(m.getRound()).isEqualTo(1);
    assertThat(m.getHeight()).isEqualTo(4);
    assertThat(m.getRule()).isEqualTo(AggregationRule.FEDAVG);
    assertThat(m.getContributorsList()).extracting(Contributor::getTxId).containsExactlyInAnyOrderElementsOf(accepted);
    assertThat(m.getContributorsList().stream().mapToDouble(Contributor::getWeight).sum()).isCloseTo(1.0,
        org.assertj.core.data.Offset.offset(1e-12));
    // The block that stored it, as stored: it has no certificate of its own and nothing certified
    // is above it yet, so it is not provably final yet.
    assertThat(r.getBlock()).isEqualTo(closingBlock);
    assertThat(BlockHeader.parseFrom(r.getBlock().getBlock().getHeader()).getHeight()).isEqualTo(4);
    assertThat(r.getBlock().getCertificate().getBlockHash()).isEqualTo(Blocks.hash(r.getBlock().getBlock()).bytes());
    Finality finality = new Finality(tc.chain());
    assertThat(finality.check(r.getBlock())).isInstanceOfSatisfying(FinalityCheck.NotProved.class,
        n -> assertThat(n.error()).isEqualTo(FinalityError.NO_PROOF));
    // Once a certified block commits above it, the model's block comes with the proof.
    CertifiedBlock certified = commitBlock(List.of(), true);
    ModelResponse proved = fl.getModel(GetModelRequest.newBuilder().setTaskId(TASK).setVersion(1).build());
    assertThat(proved.getBlock().getBlock()).isEqualTo(closingBlock.getBlock());
    assertThat(proved.getBlock().getProof().getCertificate()).isEqualTo(certified.getCertificate());
    FinalityCheck check = finality.check(proved.getBlock());
    assertThat(check.ok()).as(check.toString()).isTrue();
    assertThat(((FinalityCheck.Final) check).certifiedHeight()).isEqualTo(5);
    assertThat(((FinalityCheck.Final) check).header().getHeight()).isEqualTo(m.getHeight());

    ModelResponse hashOnly = fl.getModel(GetModelRequest.newBuilder().setTaskId(TASK).setVersion(1).build());
    assertThat(hashOnly.getModel().getWeights()).isEmpty();
    assertThat(hashOnly.getModel().getSha256()).isEqualTo(m.getSha256());
    assertThat(fl.getModel(GetModelRequest.newBuilder().setTaskId(TASK).setIncludeWeights(true).build()).getModel())
        .isEqualTo(m);
    GlobalModel initial = fl.getModel(GetModelRequest.newBuilder().setTaskId(TASK).setVersion(0)
        .setIncludeWeights(true).build()).getModel();
    assertThat(Weights.unpack(initial.getWeights())).containsExactly(0f, 0f, 0f, 0f);
    assertThat(initial.getContributorsList()).isEmpty();
    FinalityCheck initialBlock = finality.check(fl.getModel(GetModelRequest.newBuilder().setTaskId(TASK).setVersion(0)
        .build()).getBlock());
    assertThat(initialBlock.ok()).as(initialBlock.toString()).isTrue();
    assertThat(((FinalityCheck.Final) initialBlock).header().getHeight()).isEqualTo(initial.getHeight());
  }

  @Test
  void reputationTable() {
    var table = fl.getReputation(GetReputationRequest.newBuilder().setTaskId(TASK).build());
    assertThat(table.getTaskId()).isEqualTo(TASK);
    assertThat(table.getRecordsList()).extracting(ReputationRecord::getParticipant).containsExactlyInAnyOrder(
        TestChain.key(1001).publicKey(), TestChain.key(1002).publicKey(), TestChain.key(1003).publicKey());
    assertThat(table.getRecordsList()).extracting(ReputationRecord::getParticipant)
        .isSortedAccordingTo(ByteString.unsignedLexicographicalComparator());
    assertThat(table.getRecordsList()).allSatisfy(rec -> {
      assertThat(rec.getRounds()).isEqualTo(1);
      assertThat(rec.getSelected()).isEqualTo(1);
      assertThat(rec.getStatus()).isEqualTo(ReputationStatus.IN_GOOD_STANDING);
      assertThat(rec.getScore()).isGreaterThan(0.5);
    });
  }

  @Test
  void badRequestsGetClearStatuses() {
    assertStatus(() -> fl.getTask(GetTaskRequest.newBuilder().setTaskId("nope").build()),
        Status.Code.NOT_FOUND, "no task 'nope'");
    assertStatus(() -> fl.getTask(GetTaskRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT, "task_id is required");
    assertStatus(() -> fl.getTask(GetTaskRequest.newBuilder().setTaskId("a b").build()),
        Status.Code.INVALID_ARGUMENT, "task_id must match [A-Za-z0-9._-]{1,64}, got 'a b'");
    assertStatus(() -> fl.getRound(GetRoundRequest.newBuilder().setTaskId(TASK).setRound(7).build()),
        Status.Code.NOT_FOUND, "no round 7 of task 't1' (rounds 1..2)");
    assertStatus(() -> fl.getRoundStatus(GetRoundRequest.newBuilder().setTaskId(TASK).setRound(7).build()),
        Status.Code.NOT_FOUND, "no round 7 of task 't1' (rounds 1..2)");
    assertStatus(() -> fl.getRoundStatus(GetRoundRequest.newBuilder().setTaskId("nope").build()),
        Status.Code.NOT_FOUND, "no task 'nope'");
    assertStatus(() -> fl.getRoundStatus(GetRoundRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT, "task_id is required");
    assertStatus(() -> fl.getModel(GetModelRequest.newBuilder().setTaskId(TASK).setVersion(9).build()),
        Status.Code.NOT_FOUND, "no model version 9 of task 't1' (versions 0..1)");
    assertStatus(() -> fl.getModel(GetModelRequest.newBuilder().setTaskId("nope").setVersion(0).build()),
        Status.Code.NOT_FOUND, "no task 'nope'");
    assertStatus(() -> fl.getModel(GetModelRequest.newBuilder().setTaskId("x".repeat(65)).build()),
        Status.Code.INVALID_ARGUMENT, "task_id must match [A-Za-z0-9._-]{1,64}, got '" + "x".repeat(65) + "'");
    assertStatus(() -> fl.getReputation(GetReputationRequest.newBuilder().setTaskId("nope").build()),
        Status.Code.NOT_FOUND, "no task 'nope'");
    assertStatus(() -> fl.getReputation(GetReputationRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT, "task_id is required");
    assertStatus(() -> fl.getBalance(GetBalanceRequest.newBuilder().setParticipant(ByteString.copyFromUtf8("abc"))
        .build()), Status.Code.INVALID_ARGUMENT, "participant must be a 32-byte public key, got 3 bytes (616263)");
  }

  @Test
  void balancesHoldTheRewardsOfSelectedUpdates() {
    assertThat(fl.getBalance(GetBalanceRequest.newBuilder().setParticipant(TestChain.key(1001).publicKey()).build())
        .getAmount()).isEqualTo(5);
    // A participant that never contributed has a zero balance (not an error).
    assertThat(fl.getBalance(GetBalanceRequest.newBuilder().setParticipant(TestChain.key(1004).publicKey()).build())
        .getAmount()).isZero();
  }
}
