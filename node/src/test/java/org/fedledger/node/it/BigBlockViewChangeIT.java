package org.fedledger.node.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.Clients;
import org.fedledger.node.Ports;
import org.fedledger.node.TestChain;
import org.fedledger.node.cli.TestnetLayout;
import org.fedledger.node.config.NodeConfig;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.node.exec.Validator;
import org.fedledger.node.net.PeerTransportConfig;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A view change whose log holds more block bytes than one peer frame: 30 blocks of 1.5 MiB
 * above the stable checkpoint (45 MiB, the frame is 32 MiB), then the leader stops. Before
 * VIEW-CHANGE named blocks by hash, each VIEW-CHANGE carried every prepared block (and NEW-VIEW
 * 2f+1 of them): too big to send, the views changed forever and nothing committed again.
 */
class BigBlockViewChangeIT {
  @TempDir
  Path dir;

  @Test
  void theViewChangesAndCommitsWhenTheLogExceedsThePeerFrame() throws Exception {
    int blocks = 30;
    int weightsBytes = 3 << 19; // 1.5 MiB: one transaction per block (block_tx_max = 1)
    assertThat((long) blocks * weightsBytes).as("the log's blocks exceed one frame")
        .isGreaterThan(PeerTransportConfig.defaults().frameBytesMax());
    assertThat(NodeConfig.Consensus.defaults().checkpointIntervalBlocks()).as("no checkpoint among them")
        .isGreaterThan(blocks + 1);
    TestnetLayout layout = TestnetLayout.create(dir.resolve("net"), 4, "bigblock-it", "127.0.0.1", Ports.freeBase(4), 1);
    List<Validator> validators = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        validators.add(Validator.start(NodeConfigFile.load(layout.config(i),
            Map.of("metrics.listen", "", "consensus.view_change_timeout_ticks", "100"))));
        channels.add(Clients.channel(validators.get(i).rpcPort()));
      }
      KeyPair admin = KeyFile.read(layout.adminKey());
      SplittableRandom random = new SplittableRandom(7);
      List<Envelope> sent = new ArrayList<>();
      for (int t = 0; t < blocks; t++) {
        byte[] weights = new byte[weightsBytes];
        random.nextBytes(weights);
        // An invalid task (no layout): it commits with a failed receipt; only its size matters here.
        Envelope env = TestChain.sign(admin, Transaction.newBuilder().setChainId("bigblock-it").setNonce(t + 1)
            .setCreateTask(CreateTask.newBuilder().setTaskId("big-" + t).setInitialWeights(ByteString.copyFrom(weights))));
        LedgerApiGrpc.newBlockingStub(channels.get(1 + t % 3))
            .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
        sent.add(env);
      }
      for (Envelope env : sent) {
        awaitCommit(channels.get(3), env);
      }
      Clients.await("validators 1..3 at height " + blocks, 60_000,
          () -> validators.subList(1, 4).stream().allMatch(v -> v.store().head().orElseThrow().height() >= blocks));

      validators.get(0).close(); // the leader of view 0
      Envelope after = TestChain.sign(admin, Transaction.newBuilder().setChainId("bigblock-it").setNonce(blocks + 1)
          .setRegisterParticipant(RegisterParticipant.newBuilder().setName("after").setRole(Role.HOSPITAL)
              .setPublicKey(TestChain.key(900).publicKey())));
      LedgerApiGrpc.newBlockingStub(channels.get(1))
          .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(after).build());
      for (int i = 1; i < 4; i++) {
        awaitCommit(channels.get(i), after); // only a new view (leader 1, 2 or 3) can commit it
      }
      long target = validators.get(1).store().head().orElseThrow().height();
      for (long h = 1; h <= target; h++) {
        var expected = validators.get(1).store().block(h).orElseThrow().getBlock();
        for (int i = 2; i < 4; i++) {
          Validator v = validators.get(i);
          Clients.await("validator " + i + " at " + target, 30_000,
              () -> v.store().head().orElseThrow().height() >= target);
          assertThat(v.store().block(h).orElseThrow().getBlock()).isEqualTo(expected);
        }
      }
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      validators.forEach(Validator::close);
    }
  }

  private static void awaitCommit(ManagedChannel ch, Envelope env) {
    var r = LedgerApiGrpc.newBlockingStub(ch).waitForCommit(WaitForCommitRequest.newBuilder()
        .setTxId(Hash.sha256(env.getBody()).bytes()).setTimeoutMillis(60_000).build());
    assertThat(r.hasReceipt()).as("committed").isTrue();
  }
}
