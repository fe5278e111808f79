package org.fedledger.node.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.Clients;
import org.fedledger.node.Ports;
import org.fedledger.node.TestChain;
import org.fedledger.node.cli.TestnetLayout;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.node.exec.Validator;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitResult;
import org.fedledger.proto.api.SubmitTransactionsRequest;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SubmitTransactions end to end: four validators in one JVM over real Netty, gRPC and RocksDB;
 * batches sent to different validators (leader and backups) are committed in full at every
 * validator, and a batch's bad and repeated transactions are refused alone.
 */
class SubmitBatchClusterTest {
  private static final String CHAIN = "batch-test";

  @TempDir
  Path dir;

  private static Envelope register(KeyPair admin, int t) {
    return TestChain.sign(admin, Transaction.newBuilder().setChainId(CHAIN).setNonce(t + 1)
        .setRegisterParticipant(RegisterParticipant.newBuilder().setName("p" + t).setRole(Role.HOSPITAL)
            .setPublicKey(TestChain.key(500 + t).publicKey())));
  }

  @Test
  void batchesSubmittedToAnyValidatorAreCommittedInFullEverywhere() throws Exception {
    int base = Ports.freeBase(4);
    TestnetLayout layout = TestnetLayout.create(dir.resolve("net"), 4, CHAIN, "127.0.0.1", base, 0);
    List<Validator> validators = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        validators.add(Validator.start(NodeConfigFile.load(layout.config(i), Map.of("metrics.listen", ""))));
        channels.add(Clients.channel(validators.get(i).rpcPort()));
      }
      KeyPair admin = KeyFile.read(layout.adminKey());
      List<Envelope> accepted = new ArrayList<>();
      for (int b = 0; b < 4; b++) {
        List<Envelope> batch = new ArrayList<>();
        for (int t = b * 25; t < (b + 1) * 25; t++) {
          batch.add(register(admin, t));
        }
        var r = LedgerApiGrpc.newBlockingStub(channels.get(b))
            .submitTransactions(SubmitTransactionsRequest.newBuilder().addAllEnvelopes(batch).build());
        assertThat(r.getResultsList()).hasSize(25).allMatch(SubmitResult::getAccepted);
        for (int i = 0; i < 25; i++) {
          assertThat(r.getResults(i).getTxId()).isEqualTo(Hash.sha256(batch.get(i).getBody()).bytes());
        }
        accepted.addAll(batch);
      }
      // A mixed batch: a fresh one, a pending one from above, a bad signature, the fresh one again.
      Envelope fresh = register(admin, 100);
      Envelope badSig = register(admin, 101).toBuilder().setSignature(admin.sign(ByteString.copyFromUtf8("x"))).build();
      var mixed = LedgerApiGrpc.newBlockingStub(channels.get(0)).submitTransactions(SubmitTransactionsRequest
          .newBuilder().addEnvelopes(fresh).addEnvelopes(accepted.get(0)).addEnvelopes(badSig).addEnvelopes(fresh)
          .build());
      assertThat(mixed.getResults(0).getAccepted()).isTrue();
      assertThat(mixed.getResults(1).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS.value()); // pending or committed
      assertThat(mixed.getResults(2).getReason()).startsWith("BAD_SIGNATURE:");
      assertThat(mixed.getResults(3).getReason()).endsWith("is also at index 0 of this batch");
      accepted.add(fresh);

      for (Envelope env : accepted) {
        var r = LedgerApiGrpc.newBlockingStub(channels.get(3)).waitForCommit(WaitForCommitRequest.newBuilder()
            .setTxId(Hash.sha256(env.getBody()).bytes()).setTimeoutMillis(60_000).build());
        assertThat(r.getReceipt().getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
      }
      long target = validators.get(3).store().head().orElseThrow().height();
      Clients.await("all validators at height " + target, 60_000,
          () -> validators.stream().allMatch(v -> v.store().head().orElseThrow().height() >= target));
      int txs = 0;
      for (long h = 1; h <= target; h++) {
        var expected = validators.get(0).store().block(h).orElseThrow();
        txs += expected.getBlock().getTransactionsCount();
        for (Validator v : validators) {
          assertThat(v.store().block(h).orElseThrow().getBlock()).isEqualTo(expected.getBlock());
        }
      }
      assertThat(txs).isEqualTo(accepted.size()); // each exactly once, the refused ones never
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      validators.forEach(Validator::close);
    }
  }

  @Test
  void theCliSubmitsAFileOfTransactionsAsABatchAndPrintsEachResult() throws Exception {
    TestnetLayout layout = TestnetLayout.create(dir.resolve("net"), 4, CHAIN, "127.0.0.1", Ports.freeBase(4), 0);
    Validator v = Validator.start(NodeConfigFile.load(layout.config(1), Map.of("metrics.listen", "")));
    try {
      Path file = dir.resolve("txs.jsonl");
      java.nio.file.Files.writeString(file, String.join("\n",
          "{\"register_participant\": {\"name\": \"a\", \"role\": \"HOSPITAL\", \"public_key\": \"" + b64(1) + "\"}}",
          "",
          "{}",
          "{\"register_participant\": {\"name\": \"b\", \"role\": \"HOSPITAL\", \"public_key\": \"" + b64(2) + "\"}}"));
      String[] args = {"submit", "--rpc", "127.0.0.1:" + v.rpcPort(), "--key", layout.adminKey().toString(),
          "--nonce", "1000", "--tx-jsonl", file.toString()};
      List<String> lines = LedgerServiceTest.cli(1, args).lines().toList(); // exit 1: one was refused
      assertThat(lines).hasSize(3);
      assertThat(lines.get(0)).matches("[0-9a-f]{64} accepted");
      assertThat(lines.get(1)).matches("[0-9a-f]{64} refused INVALID_ARGUMENT: PAYLOAD_NOT_SET: .*");
      assertThat(lines.get(2)).matches("[0-9a-f]{64} accepted");
      ManagedChannel channel = Clients.channel(v.rpcPort());
      try {
        assertThat(Clients.status(channel).getMempoolSize()).isEqualTo(2);
      } finally {
        channel.shutdownNow();
      }
    } finally {
      v.close();
    }
  }

  private static String b64(int key) {
    return java.util.Base64.getEncoder().encodeToString(TestChain.key(700 + key).publicKey().toByteArray());
  }

  @Test
  void aBatchBeyondTheMempoolBoundIsAcceptedUpToItAndTheRestRefusedFull() throws Exception {
    // One validator of four, alone: nothing commits, so its pending transactions stay.
    TestnetLayout layout = TestnetLayout.create(dir.resolve("net"), 4, CHAIN, "127.0.0.1", Ports.freeBase(4), 0);
    Validator v = Validator.start(NodeConfigFile.load(layout.config(1),
        Map.of("metrics.listen", "", "limits.mempool_tx_max", "3")));
    ManagedChannel channel = Clients.channel(v.rpcPort());
    try {
      KeyPair admin = KeyFile.read(layout.adminKey());
      List<Envelope> batch = new ArrayList<>();
      for (int t = 0; t < 5; t++) {
        batch.add(register(admin, t));
      }
      var r = LedgerApiGrpc.newBlockingStub(channel)
          .submitTransactions(SubmitTransactionsRequest.newBuilder().addAllEnvelopes(batch).build());
      assertThat(r.getResultsList()).extracting(SubmitResult::getAccepted).containsExactly(true, true, true, false, false);
      assertThat(r.getResults(3).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
      assertThat(r.getResults(4).getReason()).isEqualTo("the mempool is full; retry later");
      assertThat(Clients.status(channel).getMempoolSize()).isEqualTo(3);
      // The pending ones are duplicates now; the full ones are still refused for the bound.
      var again = LedgerApiGrpc.newBlockingStub(channel)
          .submitTransactions(SubmitTransactionsRequest.newBuilder().addAllEnvelopes(batch).build());
      assertThat(again.getResultsList()).extracting(SubmitResult::getCode).containsExactly(
          Status.Code.ALREADY_EXISTS.value(), Status.Code.ALREADY_EXISTS.value(), Status.Code.ALREADY_EXISTS.value(),
          Status.Code.RESOURCE_EXHAUSTED.value(), Status.Code.RESOURCE_EXHAUSTED.value());
    } finally {
      channel.shutdownNow();
      v.close();
    }
  }
}
