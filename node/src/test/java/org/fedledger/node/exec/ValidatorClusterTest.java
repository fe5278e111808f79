package org.fedledger.node.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.Clients;
import org.fedledger.node.Ports;
import org.fedledger.node.TestChain;
import org.fedledger.node.cli.TestnetLayout;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Four validators in one JVM over real Netty, gRPC and RocksDB on loopback. */
class ValidatorClusterTest {
  @TempDir
  Path dir;

  @Test
  void fourValidatorsCommitTransactionsSubmittedToAnyOfThem() throws Exception {
    int base = Ports.freeBase(4);
    TestnetLayout layout = TestnetLayout.create(dir.resolve("net"), 4, "cluster-test", "127.0.0.1", base, 0);
    List<Validator> validators = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        validators.add(Validator.start(NodeConfigFile.load(layout.config(i), Map.of("metrics.listen", ""))));
        channels.add(Clients.channel(validators.get(i).rpcPort()));
      }
      KeyPair admin = KeyFile.read(layout.adminKey());
      List<Envelope> sent = new ArrayList<>();
      for (int t = 0; t < 40; t++) {
        Envelope env = TestChain.sign(admin, Transaction.newBuilder().setChainId("cluster-test").setNonce(t + 1)
            .setRegisterParticipant(RegisterParticipant.newBuilder().setName("p" + t).setRole(Role.HOSPITAL)
                .setPublicKey(TestChain.key(500 + t).publicKey())));
        LedgerApiGrpc.newBlockingStub(channels.get(t % 4))
            .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
        sent.add(env);
      }
      for (Envelope env : sent) {
        var r = LedgerApiGrpc.newBlockingStub(channels.get(3)).waitForCommit(WaitForCommitRequest.newBuilder()
            .setTxId(org.fedledger.ledger.crypto.Hash.sha256(env.getBody()).bytes()).setTimeoutMillis(60_000).build());
        assertThat(r.getReceipt().getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
      }
      long target = validators.get(3).store().head().orElseThrow().height();
      Clients.await("all validators at height " + target, 60_000,
          () -> validators.stream().allMatch(v -> v.store().head().orElseThrow().height() >= target));
      for (long h = 1; h <= target; h++) {
        var expected = validators.get(0).store().block(h).orElseThrow();
        for (Validator v : validators) {
          assertThat(v.store().block(h).orElseThrow().getBlock()).isEqualTo(expected.getBlock());
          assertThat(v.store().stateRootAt(h)).isEqualTo(validators.get(0).store().stateRootAt(h));
        }
      }
      // Every link comes up, but not necessarily before the last commit: a validator that dialed
      // one that was not listening yet (they start one after the other) redials with back-off of
      // up to PeerTransportConfig.reconnectMaxMillis (5 s), while three links in a quorum already
      // commit everything. So wait for each validator to report its three peers connected.
      for (int i = 0; i < 4; i++) {
        ManagedChannel ch = channels.get(i);
        Clients.await("validator " + i + " reports its 3 peers connected", 60_000, () -> {
          var peers = Clients.status(ch).getPeersList();
          return peers.size() == 3 && peers.stream().allMatch(p -> p.getConnected());
        });
      }
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      validators.forEach(Validator::close);
    }
  }

  /**
   * A clean stop writes the consensus log's clean-stop marker (lazy vote sync): restarted, the
   * validators vote at once in the view they were in, with no view change to wait for.
   */
  @Test
  void aCleanStopLetsEveryValidatorRestartInItsViewWithoutAbstaining() throws Exception {
    int base = Ports.freeBase(4);
    TestnetLayout layout = TestnetLayout.create(dir.resolve("net"), 4, "cluster-test", "127.0.0.1", base, 0);
    KeyPair admin = KeyFile.read(layout.adminKey());
    List<org.fedledger.node.config.NodeConfig> configs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      configs.add(NodeConfigFile.load(layout.config(i), Map.of("metrics.listen", "")));
    }
    long nonce = 0;
    for (int round = 0; round < 2; round++) {
      List<Validator> validators = new ArrayList<>();
      List<ManagedChannel> channels = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          validators.add(Validator.start(configs.get(i)));
          channels.add(Clients.channel(validators.get(i).rpcPort()));
        }
        for (int t = 0; t < 3; t++) {
          nonce++;
          Envelope env = TestChain.sign(admin, Transaction.newBuilder().setChainId("cluster-test").setNonce(nonce)
              .setRegisterParticipant(RegisterParticipant.newBuilder().setName("p" + nonce).setRole(Role.HOSPITAL)
                  .setPublicKey(TestChain.key(700 + (int) nonce).publicKey())));
          LedgerApiGrpc.newBlockingStub(channels.get(t % 4))
              .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
          var r = LedgerApiGrpc.newBlockingStub(channels.get(t % 4)).waitForCommit(WaitForCommitRequest.newBuilder()
              .setTxId(org.fedledger.ledger.crypto.Hash.sha256(env.getBody()).bytes()).setTimeoutMillis(60_000)
              .build());
          assertThat(r.getReceipt().getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
        }
        for (ManagedChannel c : channels) {
          assertThat(Clients.status(c).getView()).as("no view change, before or after the clean restart").isZero();
        }
      } finally {
        channels.forEach(ManagedChannel::shutdownNow);
        validators.forEach(Validator::close);
      }
      for (org.fedledger.node.config.NodeConfig c : configs) {
        var chain = org.fedledger.ledger.chain.GenesisFile.load(c.files().genesisFile());
        try (var store = org.fedledger.ledger.store.LedgerStore.open(c.files().dataDir(), chain.genesisHash(),
            org.fedledger.ledger.store.Durability.GROUP)) {
          assertThat(store.consensusLog().get(org.fedledger.consensus.LogKeys.CLEAN_STOP)).isPresent();
        }
      }
    }
  }
}
