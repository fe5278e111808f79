package org.fedledger.testnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.fedledger.contracts.fl.Weights;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.chain.FinalityCheck;
import org.fedledger.ledger.chain.FinalityError;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.cli.TestnetLayout;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.node.exec.Validator;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Contributor;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.ReputationRecord;
import org.fedledger.proto.ReputationStatus;
import org.fedledger.proto.ReputationTable;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.FederatedLearningApiGrpc;
import org.fedledger.proto.api.GetBlockRequest;
import org.fedledger.proto.api.GetModelRequest;
import org.fedledger.proto.api.GetReputationRequest;
import org.fedledger.proto.api.GetRoundRequest;
import org.fedledger.proto.api.GetStatusRequest;
import org.fedledger.proto.api.GetTaskRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.ModelResponse;
import org.fedledger.proto.api.RoundStatusResponse;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.UpdateAttempt;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.fedledger.testnet.client.Signer;
import org.fedledger.testnet.fl.ModelLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance run through the real node: four validators (the node's {@link Validator} with
 * Netty peers, PBFT, gRPC and RocksDB) started in this JVM from a testnet directory written
 * by {@code fedledger testnet init}'s {@link TestnetLayout}, then the demo's client loop
 * ({@link FlDemo}, as {@code testnet/start.sh} runs it) with 8 hospitals, 2 of them flipping
 * signs, over gRPC. Afterwards every validator is asked over gRPC for every model version,
 * the reputation table and the chain, and the newest model's provenance is checked the way
 * a hospital deploying it would: with nothing but the validator keys in genesis.json.
 */
class FlTestnetEndToEndTest {
  private static final int ROUNDS = 5;
  private static final int HOSPITALS = 8;
  private static final int ATTACKERS = 2;
  private static final String TASK = "wdbc-e2e";

  @TempDir
  Path dir;

  @Test
  void hospitalsLearnThroughFourValidatorsAndTheModelsProvenanceVerifies() throws Exception {
    long started = System.nanoTime();
    Path net = dir.resolve("testnet");
    TestnetLayout layout = TestnetLayout.create(net, 4, "fl-e2e", "127.0.0.1", freeBasePort(), 0);
    List<Validator> validators = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        validators.add(Validator.start(NodeConfigFile.load(layout.config(i), Map.of("metrics.listen", ""))));
        channels.add(ManagedChannelBuilder.forAddress("127.0.0.1", validators.get(i).rpcPort()).usePlaintext()
            .build());
      }
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      int code = FlDemoAccess.run(new PrintStream(buf, true, StandardCharsets.UTF_8), "--testnet", net.toString(),
          "--task", TASK, "--hospitals", Integer.toString(HOSPITALS), "--attackers", Integer.toString(ATTACKERS),
          "--attack", "SIGN_FLIP", "--rounds", Integer.toString(ROUNDS), "--round-timeout-seconds", "60");
      String out = buf.toString(StandardCharsets.UTF_8);
      System.out.print(out);
      assertThat(code).as(out).isZero();

      // Rounds progressed: one new version per round, and the demo's last model is accurate.
      for (int r = 1; r <= ROUNDS; r++) {
        assertThat(out).contains(String.format("round %3d  model v%d ", r, r));
      }
      String last = out.lines().filter(l -> l.startsWith(String.format("round %3d", ROUNDS))).findFirst()
          .orElseThrow();
      double accuracy = Double.parseDouble(last.replaceAll(".*accuracy ([0-9.]+).*", "$1"));
      assertThat(accuracy).as(last).isGreaterThanOrEqualTo(0.9);

      // Garbage updates are refused with their codes and never stop a validator.
      Map<ByteString, String> names = hospitalNames(net.resolve("fl-demo-keys"));
      submitGarbage(net, channels.get(2));
      for (Validator v : validators) {
        assertThat(v.isRunning()).isTrue();
        assertThat(v.failed()).isFalse();
      }

      // Every validator reaches the same head and holds the same chain, models and reputations.
      long height = status(channels.get(0)).getHeight();
      awaitHeight(channels, height);
      CertifiedBlock head0 = block(channels.get(0), height);
      List<GlobalModel> models0 = models(channels.get(0));
      assertThat(models0).hasSize(ROUNDS + 1);
      ReputationTable rep0 = reputation(channels.get(0));
      for (int i = 1; i < 4; i++) {
        assertThat(block(channels.get(i), height).getBlock()).as("block %d at validator %d", height, i)
            .isEqualTo(head0.getBlock());
        List<GlobalModel> models = models(channels.get(i));
        for (int v = 0; v <= ROUNDS; v++) {
          assertThat(models.get(v).getSha256()).as("model v%d at validator %d", v, i)
              .isEqualTo(models0.get(v).getSha256());
          assertThat(models.get(v)).isEqualTo(models0.get(v));
        }
        assertThat(reputation(channels.get(i))).as("reputation at validator %d", i).isEqualTo(rep0);
      }

      // Attackers suspended, no honest hospital suspended (keys as the demo stored them).
      assertThat(rep0.getRecordsList()).hasSize(HOSPITALS);
      int attackersSuspended = 0;
      for (ReputationRecord r : rep0.getRecordsList()) {
        String name = names.get(r.getParticipant());
        boolean suspended = r.getStatus() == ReputationStatus.SUSPENDED_ON_TASK;
        if (name.startsWith("attacker-")) {
          assertThat(suspended).as(name + " " + r).isTrue();
          attackersSuspended++;
        } else {
          assertThat(suspended).as(name + " " + r).isFalse();
        }
      }
      assertThat(attackersSuspended).isEqualTo(ATTACKERS);

      // Round 3's status: every hospital submitted, the suspended attackers were refused.
      RoundStatusResponse round3 = FederatedLearningApiGrpc.newBlockingStub(channels.get(1))
          .withDeadlineAfter(10, TimeUnit.SECONDS).getRoundStatus(GetRoundRequest.newBuilder().setTaskId(TASK)
              .setRound(3).build());
      assertThat(round3.getAttemptsList()).hasSize(HOSPITALS);
      for (UpdateAttempt a : round3.getAttemptsList()) {
        boolean attacker = names.get(a.getParticipant()).startsWith("attacker-");
        assertThat(a.getAccepted()).as(names.get(a.getParticipant())).isEqualTo(!attacker);
        assertThat(a.getCode()).isEqualTo(attacker ? "SUSPENDED" : "");
      }
      assertThat(round3.getRound().getSubmissionsCount()).isEqualTo(HOSPITALS - ATTACKERS);

      // Provenance of the newest model, from validator 3, checked with the genesis keys alone.
      Genesis genesis = GenesisFile.parse(Files.readString(layout.genesis()));
      ModelResponse newest = FederatedLearningApiGrpc.newBlockingStub(channels.get(3))
          .withDeadlineAfter(10, TimeUnit.SECONDS).getModel(GetModelRequest.newBuilder().setTaskId(TASK)
              .setVersion(ROUNDS).setIncludeWeights(true).build());
      verifyProvenance(genesis, newest, channels.get(3), names);
      assertThat(newest.getModel()).isEqualTo(models0.get(ROUNDS));
      System.out.printf("FlTestnetEndToEndTest: %d rounds, head %d, wall time %.1f s%n", ROUNDS, height,
          (System.nanoTime() - started) / 1e9);
    } finally {
      for (ManagedChannel ch : channels) {
        ch.shutdownNow();
      }
      for (Validator v : validators) {
        v.close();
      }
    }
  }

  /**
   * An honest hospital's key sends updates for the open round that every validator must
   * refuse with the right receipt code, then a body of random bytes that the gRPC intake
   * refuses, then random weight bytes of the right length (refused or accepted, never a
   * contract error).
   */
  private static void submitGarbage(Path net, ManagedChannel ch) throws IOException {
    Genesis genesis = GenesisFile.parse(Files.readString(net.resolve("genesis.json")));
    KeyPair key = KeyFile.read(net.resolve("fl-demo-keys").resolve("hospital-02.key"));
    Signer signer = new Signer(key, genesis.getChainId(), System.currentTimeMillis() * 1000 + 1_000_000);
    LedgerApiGrpc.LedgerApiBlockingStub ledger = LedgerApiGrpc.newBlockingStub(ch);
    long round = ROUNDS + 1;
    float[] nan = new float[ModelLayout.LENGTH];
    nan[7] = Float.NaN;
    float[] inf = new float[ModelLayout.LENGTH];
    inf[0] = Float.NEGATIVE_INFINITY;
    Map<String, SubmitUpdate.Builder> cases = new java.util.LinkedHashMap<>();
    SubmitUpdate.Builder good = SubmitUpdate.newBuilder().setTaskId(TASK).setRound(round).setBaseVersion(ROUNDS)
        .setWeights(Weights.pack(new float[ModelLayout.LENGTH])).setSampleCount(10);
    cases.put("UNKNOWN_TASK", good.clone().setTaskId("no-such-task"));
    cases.put("WRONG_ROUND", good.clone().setRound(round + 7));
    cases.put("STALE_BASE", good.clone().setBaseVersion(ROUNDS - 2));
    cases.put("WRONG_LENGTH", good.clone().setWeights(Weights.pack(new float[3])));
    cases.put("NON_FINITE", good.clone().setWeights(Weights.pack(nan)));
    cases.put("ZERO_SAMPLES", good.clone().setSampleCount(0));
    for (Map.Entry<String, SubmitUpdate.Builder> c : cases.entrySet()) {
      Receipt r = submitAndWait(ledger, signer.sign(Transaction.newBuilder().setSubmitUpdate(c.getValue())));
      assertThat(r.getStatus()).as(c.getKey()).isEqualTo(ReceiptStatus.REJECTED);
      assertThat(r.getCode()).as(r.getReason()).isEqualTo(c.getKey());
    }
    Receipt infinite = submitAndWait(ledger, signer.sign(Transaction.newBuilder().setSubmitUpdate(
        good.clone().setWeights(Weights.pack(inf)))));
    assertThat(infinite.getCode()).isEqualTo("NON_FINITE");

    java.util.SplittableRandom random = new java.util.SplittableRandom(11);
    byte[] junk = new byte[300];
    random.nextBytes(junk);
    ByteString body = ByteString.copyFrom(junk);
    Envelope garbage = Envelope.newBuilder().setBody(body).setSigner(key.publicKey()).setSignature(key.sign(body))
        .build();
    assertThatThrownBy(() -> ledger.withDeadlineAfter(10, TimeUnit.SECONDS).submitTransaction(
        SubmitTransactionRequest.newBuilder().setEnvelope(garbage).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    byte[] weights = new byte[4 * ModelLayout.LENGTH];
    random.nextBytes(weights);
    Receipt randomWeights = submitAndWait(ledger, signer.sign(Transaction.newBuilder().setSubmitUpdate(
        good.clone().setWeights(ByteString.copyFrom(weights)))));
    assertThat(randomWeights.getCode()).isIn("", "NON_FINITE");
  }

  private static Receipt submitAndWait(LedgerApiGrpc.LedgerApiBlockingStub ledger, Envelope e) {
    ByteString id = ledger.withDeadlineAfter(10, TimeUnit.SECONDS).submitTransaction(
        SubmitTransactionRequest.newBuilder().setEnvelope(e).build()).getTxId();
    return ledger.withDeadlineAfter(40, TimeUnit.SECONDS).waitForCommit(WaitForCommitRequest.newBuilder()
        .setTxId(id).setTimeoutMillis(30_000).build()).getReceipt();
  }

  /**
   * What a hospital deploying {@code response}'s model can check knowing only the genesis:
   * the weights hash to the stored SHA-256; the block that stored the model is final (its own
   * commit certificate of 2f + 1 genesis validators, or the finality proof up to a certified
   * block: see {@link Finality}); each contributing update is a transaction of a final block
   * (Merkle tx root in its header), a SubmitUpdate signed by the contributor for this task and
   * round; and the model is the contributors' weighted mean.
   */
  private static void verifyProvenance(Genesis genesis, ModelResponse response, ManagedChannel channel,
      Map<ByteString, String> names) throws InvalidProtocolBufferException, InterruptedException {
    GlobalModel model = response.getModel();
    assertThat(Hash.sha256(model.getWeights()).bytes()).isEqualTo(model.getSha256());
    assertThat(response.hasBlock()).isTrue();
    CertifiedBlock modelBlock = verified(genesis, () -> FederatedLearningApiGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).getModel(GetModelRequest.newBuilder().setTaskId(TASK)
            .setVersion(model.getVersion()).build()).getBlock());
    assertThat(modelBlock.getBlock()).isEqualTo(response.getBlock().getBlock());
    BlockHeader header = BlockHeader.parseFrom(modelBlock.getBlock().getHeader());
    assertThat(header.getHeight()).isEqualTo(model.getHeight());

    float[] stored = Weights.unpack(model.getWeights());
    double[] mean = new double[stored.length];
    double total = 0;
    assertThat(model.getContributorsCount()).isGreaterThanOrEqualTo(HOSPITALS - 2 * ATTACKERS);
    for (Contributor c : model.getContributorsList()) {
      assertThat(names.get(c.getParticipant())).as("contributor").startsWith("hospital-");
      CertifiedBlock carrier = verified(genesis, () -> block(channel, c.getHeight()));
      assertThat(c.getHeight()).isLessThanOrEqualTo(model.getHeight());
      Envelope tx = carrier.getBlock().getTransactionsList().stream()
          .filter(e -> Blocks.txId(e).bytes().equals(c.getTxId())).findFirst().orElseThrow(() ->
              new AssertionError("contributor tx " + Hash.of(c.getTxId()).hex() + " not in block " + c.getHeight()));
      assertThat(Ed25519.verify(c.getParticipant(), tx.getBody(), tx.getSignature())).isTrue();
      assertThat(tx.getSigner()).isEqualTo(c.getParticipant());
      Transaction t = Transaction.parseFrom(tx.getBody());
      assertThat(t.getChainId()).isEqualTo(genesis.getChainId());
      assertThat(t.getSubmitUpdate().getTaskId()).isEqualTo(TASK);
      assertThat(t.getSubmitUpdate().getRound()).isEqualTo(model.getRound());
      assertThat(t.getSubmitUpdate().getIsDelta()).isFalse();
      float[] update = Weights.unpack(t.getSubmitUpdate().getWeights());
      for (int k = 0; k < update.length; k++) {
        mean[k] += c.getWeight() * update[k];
      }
      total += c.getWeight();
    }
    assertThat(total).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
    for (int k = 0; k < stored.length; k++) {
      assertThat((double) stored[k]).as("parameter %d", k)
          .isCloseTo(mean[k], org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(mean[k]))));
    }
  }

  /**
   * The block {@code fetch} serves, after checking with the genesis alone that it is final: its own
   * certificate of 2f + 1 valid signatures of distinct genesis validators, or the finality proof
   * (headers up to a certified block and that block's certificate); and that its transactions
   * have the header's tx root. A block at the uncertified tail of the chain has neither until
   * the next certified block commits, so {@code fetch} is asked again until it has one.
   */
  private static CertifiedBlock verified(Genesis genesis, Supplier<CertifiedBlock> fetch) throws InterruptedException {
    Finality finality = new Finality(Chain.of(genesis));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      CertifiedBlock cb = fetch.get();
      FinalityCheck check = finality.check(cb);
      if (check instanceof FinalityCheck.Final f) {
        assertThat(cb.getBlock().getTransactionsCount()).isEqualTo(f.header().getTxCount());
        assertThat(Blocks.txRoot(cb.getBlock().getTransactionsList()).bytes()).isEqualTo(f.header().getTxRoot());
        return cb;
      }
      FinalityCheck.NotProved n = (FinalityCheck.NotProved) check;
      assertThat(n.error()).as(n.toString()).isEqualTo(FinalityError.NO_PROOF);
      assertThat(System.nanoTime()).as("a certified block above: " + n).isLessThan(end);
      Thread.sleep(50);
    }
  }

  private static Map<ByteString, String> hospitalNames(Path keys) throws IOException {
    Map<ByteString, String> names = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    try (var files = Files.list(keys)) {
      for (Path p : files.toList()) {
        String file = p.getFileName().toString();
        names.put(KeyFile.read(p).publicKey(), file.substring(0, file.length() - ".key".length()));
      }
    }
    assertThat(names).hasSize(HOSPITALS);
    return names;
  }

  private static List<GlobalModel> models(ManagedChannel ch) {
    long current = FederatedLearningApiGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getTask(GetTaskRequest.newBuilder().setTaskId(TASK).build()).getCurrentVersion();
    List<GlobalModel> out = new ArrayList<>();
    for (long v = 0; v <= current; v++) {
      out.add(FederatedLearningApiGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .getModel(GetModelRequest.newBuilder().setTaskId(TASK).setVersion(v).setIncludeWeights(true).build())
          .getModel());
    }
    return out;
  }

  private static ReputationTable reputation(ManagedChannel ch) {
    return FederatedLearningApiGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getReputation(GetReputationRequest.newBuilder().setTaskId(TASK).build());
  }

  private static org.fedledger.proto.api.NodeStatus status(ManagedChannel ch) {
    return LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getStatus(GetStatusRequest.getDefaultInstance());
  }

  private static CertifiedBlock block(ManagedChannel ch, long height) {
    return LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getBlock(GetBlockRequest.newBuilder().setHeight(height).build());
  }

  private static void awaitHeight(List<ManagedChannel> channels, long height) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (ManagedChannel ch : channels) {
      while (status(ch).getHeight() < height) {
        assertThat(System.nanoTime()).as("validator reaches height %d", height).isLessThan(end);
        Thread.sleep(50);
      }
    }
  }

  /** A base port whose three testnet ranges (peer, rpc, metrics) are free on loopback. */
  private static int freeBasePort() {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + ThreadLocalRandom.current().nextInt(30_000);
      if (free(base) && free(base + 100) && free(base + 200)) {
        return base;
      }
    }
    throw new IllegalStateException("no free port range");
  }

  private static boolean free(int from) {
    for (int i = 0; i < 4; i++) {
      try (ServerSocket s = new ServerSocket(from + i, 1, InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(true);
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }
}
