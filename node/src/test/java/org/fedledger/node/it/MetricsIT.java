package org.fedledger.node.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.node.Clients;
import org.fedledger.node.TestChain;
import org.fedledger.node.cli.Fedledger;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.PeerAuth;
import org.fedledger.proto.PeerAuthStatement;
import org.fedledger.proto.PeerHello;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.NodeStatus;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What an operator sees of a live four-validator network (in this JVM, real Netty, gRPC,
 * RocksDB and HTTP): every Prometheus metric the node documents, with values that follow from
 * what the test did (commits, a refused impostor peer, a malformed peer message, a view change
 * after the leader stops, a state transfer into a wiped data directory, a refused client
 * transaction); then the CLI's client commands against the same network.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsIT {
  private static final String CHAIN = "metrics-it";
  /** The metric families of node/README.md, as exposed (counters with their _total suffix). */
  private static final List<String> FAMILIES = List.of(
      "fedledger_height gauge", "fedledger_view gauge", "fedledger_leader gauge",
      "fedledger_commit_latency_seconds histogram", "fedledger_blocks_committed_total counter",
      "fedledger_txs_committed_total counter", "fedledger_view_changes_total counter",
      "fedledger_peers_connected gauge", "fedledger_peer_connections_closed_total counter",
      "fedledger_mempool_size gauge", "fedledger_messages_dropped_total counter",
      "fedledger_state_transfer_target_height gauge", "fedledger_state_transfer_blocks_total counter",
      "fedledger_batches_refused_total counter");
  /** The peer protocol's frame kinds and signing domain (fedledger/v1/peer.proto). */
  private static final byte HELLO = 1;
  private static final byte AUTH = 2;
  private static final byte PAYLOAD = 3;
  private static final String PEER_AUTH_DOMAIN = "fedledger/peer-auth/v1";

  private InProcessCluster cluster;
  private Chain chain;
  private KeyPair admin;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private long nonce;

  @BeforeAll
  void start() throws Exception {
    cluster = new InProcessCluster(Files.createDirectories(Path.of("target", "it"))
        .resolve("metrics-" + System.currentTimeMillis()), CHAIN, true);
    for (int i = 0; i < 4; i++) {
      channels.add(Clients.channel(cluster.rpcPort(i)));
    }
    chain = GenesisFile.load(cluster.layout.genesis());
    admin = KeyFile.read(cluster.layout.adminKey());
  }

  @AfterAll
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void metricsFollowCommitsRefusalsAViewChangeAndAStateTransfer() throws Exception {
    // 30 transactions through validator 1 (not the leader of view 0).
    assertThat(status(1).getLeader()).as("leader of view 0").isZero();
    List<Envelope> txs = new ArrayList<>();
    for (int t = 0; t < 30; t++) {
      txs.add(submit(1, register("m-" + t)));
    }
    awaitCommitted(1, txs);
    // A refused client transaction (replayed nonce).
    Envelope replay = TestChain.sign(admin, Transaction.newBuilder().setChainId(CHAIN).setNonce(1)
        .setRegisterParticipant(RegisterParticipant.newBuilder().setName("replay").setRole(Role.HOSPITAL)
            .setPublicKey(TestChain.key(4000).publicKey())));
    try {
      LedgerApiGrpc.newBlockingStub(channels.get(1)).submitTransaction(
          SubmitTransactionRequest.newBuilder().setEnvelope(replay).build());
      throw new AssertionError("a replayed nonce was accepted");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getDescription()).startsWith("NONCE_REPLAYED");
    }

    // An impostor: validator 0's index with a key that is not in genesis, dialing validator 3.
    KeyPair stranger = Ed25519.generate(new SecureRandom());
    try (Socket s = dialPeer(3)) {
      var in = new DataInputStream(s.getInputStream());
      readFrame(in, HELLO);
      writeFrame(s, HELLO, hello(0, stranger, challenge()).toByteString());
      assertThat(closedByPeer(in)).as("validator 3 closes the impostor's connection").isTrue();
    }

    // The leader stops; with transactions pending (an idle network has no reason to change
    // view), the other three change view and go on committing.
    cluster.stop(0);
    List<Envelope> more = new ArrayList<>();
    for (int t = 0; t < 5; t++) {
      more.add(submit(1, register("after-" + t)));
    }
    Clients.await("a view change away from validator 0", 60_000, () -> List.of(1, 2, 3).stream()
        .allMatch(v -> status(v).getView() > 0 && status(v).getLeader() != 0));
    awaitCommitted(1, more);

    // While validator 0 is down, a peer holding its key authenticates to validator 3 and sends garbage.
    KeyPair key0 = KeyFile.read(cluster.layout.nodeDir(0).resolve("validator.key"));
    try (Socket s = dialPeer(3)) {
      var in = new DataInputStream(s.getInputStream());
      PeerHello theirs = PeerHello.parseFrom(readFrame(in, HELLO));
      ByteString mine = challenge();
      writeFrame(s, HELLO, hello(0, key0, mine).toByteString());
      ByteString statement = PeerAuthStatement.newBuilder().setDomain(PEER_AUTH_DOMAIN)
          .setGenesisHash(chain.genesisHash().bytes()).setSigner(0).setVerifier(3)
          .setVerifierChallenge(theirs.getChallenge()).setSignerChallenge(mine).build().toByteString();
      writeFrame(s, AUTH, PeerAuth.newBuilder().setSignature(key0.sign(statement)).build().toByteString());
      readFrame(in, AUTH);
      writeFrame(s, PAYLOAD, ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}));
      Clients.await("validator 3 counts the malformed message", 30_000,
          () -> value(metrics(3), "fedledger_messages_dropped_total{reason=\"malformed_frame\"}") == 1);
    }

    // Validator 0 comes back with an empty data directory and catches up by state transfer.
    cluster.wipeData(0);
    cluster.start(0);
    NodeStatus head = status(1);
    Clients.await("validator 0 at the others' head and state root", 120_000, () -> {
      NodeStatus s = status(0);
      return s.getHeight() >= head.getHeight() && !s.getSyncing();
    });
    Clients.await("all four at one head", 60_000, () -> {
      NodeStatus a = status(0);
      return List.of(1, 2, 3).stream().allMatch(v -> status(v).getHeadHash().equals(a.getHeadHash())
          && status(v).getStateRoot().equals(a.getStateRoot()));
    });
    for (int v = 0; v < 4; v++) {
      int n = v;
      Clients.await("validator " + v + " sees 3 peers and an empty mempool", 30_000,
          () -> value(metrics(n), "fedledger_peers_connected") == 3 && value(metrics(n), "fedledger_mempool_size") == 0);
    }

    // Every family on every node; and the values this test caused.
    for (int v = 0; v < 4; v++) {
      String text = metrics(v);
      for (String family : FAMILIES) {
        assertThat(text).as("validator " + v + " /metrics").contains("# TYPE " + family + "\n");
      }
      NodeStatus s = status(v);
      assertThat(value(text, "fedledger_height")).isEqualTo(s.getHeight());
      assertThat(value(text, "fedledger_view")).isEqualTo(s.getView());
      assertThat(value(text, "fedledger_leader")).isEqualTo(s.getLeader());
    }
    String one = metrics(1);
    long height = status(1).getHeight();
    assertThat(value(one, "fedledger_txs_committed_total")).isEqualTo(35);
    assertThat(value(one, "fedledger_blocks_committed_total")).isEqualTo(height);
    assertThat(value(one, "fedledger_commit_latency_seconds_count")).isEqualTo(35);
    assertThat(value(one, "fedledger_commit_latency_seconds_bucket{le=\"+Inf\"}")).isEqualTo(35);
    assertThat(value(one, "fedledger_commit_latency_seconds_sum")).isPositive();
    assertThat(one).contains("# TYPE fedledger_txs_refused_total counter\n");
    assertThat(value(one, "fedledger_txs_refused_total{reason=\"NONCE_REPLAYED\"}")).isEqualTo(1);
    double progressTimeouts = 0;
    for (int v = 1; v < 4; v++) {
      String text = metrics(v);
      double started = value(text, "fedledger_view_changes_total{reason=\"progress_timeout\"}")
          + value(text, "fedledger_view_changes_total{reason=\"new_view_timeout\"}")
          + value(text, "fedledger_view_changes_total{reason=\"joined_f_plus_one\"}");
      assertThat(started).as("view changes started at " + v + ", by cause").isGreaterThanOrEqualTo(1);
      progressTimeouts += value(text, "fedledger_view_changes_total{reason=\"progress_timeout\"}");
      assertThat(value(text, "fedledger_new_views_installed_total")).as("NEW-VIEWs installed at " + v)
          .isGreaterThanOrEqualTo(1);
      // (a validator whose peers connected late may have caught up by state transfer too)
      assertThat(value(text, "fedledger_state_transfer_blocks_total")).isGreaterThanOrEqualTo(0);
    }
    // someone noticed the silent leader first: not every survivor can have merely joined the others
    assertThat(progressTimeouts).as("view changes caused by a progress timeout, over the survivors").isGreaterThanOrEqualTo(1);
    String three = metrics(3);
    assertThat(value(three, "fedledger_peer_connections_closed_total{reason=\"unknown_key\"}")).isEqualTo(1);
    assertThat(value(three, "fedledger_messages_dropped_total{reason=\"malformed_frame\"}")).isEqualTo(1);
    String zero = metrics(0);
    assertThat(value(zero, "fedledger_state_transfer_blocks_total")).as("blocks fetched by state transfer")
        .isPositive();
    assertThat(value(zero, "fedledger_state_transfer_target_height")).as("0 once caught up").isZero();
    assertThat(value(zero, "fedledger_blocks_committed_total")).isEqualTo(status(0).getHeight());
  }

  @Test
  @Order(2)
  void cliClientCommandsSubmitAndReadBack() throws Exception {
    String rpc = "127.0.0.1:" + cluster.rpcPort(2);
    KeyPair participant = Ed25519.generate(new SecureRandom());
    String out = cli("submit", "--rpc", rpc, "--key", cluster.layout.adminKey().toString(), "--nonce", "1000",
        "--register", "cli-hospital", "--role", "HOSPITAL", "--public-key", Keys.hex(participant.publicKey()),
        "--wait", "--timeout-ms", "60000");
    String txId = out.lines().map(String::trim).filter(l -> l.matches("[0-9a-f]{64}")).findFirst()
        .orElseThrow(() -> new AssertionError("no transaction id printed:\n" + out));
    assertThat(out).contains("\"status\": \"SUCCESS\"");
    String receipt = cli("receipt", "--rpc", "127.0.0.1:" + cluster.rpcPort(3), txId);
    assertThat(receipt).contains("\"status\": \"SUCCESS\"").contains("\"height\"");
    long h = status(3).getHeight();
    String block = cli("block", "--rpc", rpc, "--height", Long.toString(h));
    // The head of an idle chain is certified (the last block of the leader's burst).
    assertThat(block).contains("\"hash\": \"" + Hash.of(status(3).getHeadHash()).hex() + "\"")
        .contains("\"certificate\"").contains("\"finality\": {\"final\": true, \"by\": \"its own certificate\"}");
    String all = cli("status", "127.0.0.1:" + cluster.rpcPort(0), "127.0.0.1:" + cluster.rpcPort(1),
        "127.0.0.1:" + cluster.rpcPort(2), "127.0.0.1:" + cluster.rpcPort(3));
    assertThat(all.lines().filter(l -> l.contains("height=") && l.contains("peers=3/3")).count()).as(all).isEqualTo(4);
  }

  // ---------------------------------------------------------------- helpers

  private Transaction.Builder register(String name) {
    nonce++;
    return Transaction.newBuilder().setChainId(CHAIN).setNonce(nonce)
        .setRegisterParticipant(RegisterParticipant.newBuilder().setName(name).setRole(Role.HOSPITAL)
            .setPublicKey(TestChain.key(5000 + (int) nonce).publicKey()));
  }

  private Envelope submit(int v, Transaction.Builder tx) {
    Envelope e = TestChain.sign(admin, tx);
    LedgerApiGrpc.newBlockingStub(channels.get(v)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(e).build());
    return e;
  }

  private void awaitCommitted(int v, List<Envelope> txs) {
    for (Envelope e : txs) {
      LedgerApiGrpc.newBlockingStub(channels.get(v)).withDeadlineAfter(70, TimeUnit.SECONDS)
          .waitForCommit(WaitForCommitRequest.newBuilder().setTxId(Hash.sha256(e.getBody()).bytes())
              .setTimeoutMillis(60_000).build());
    }
  }

  private NodeStatus status(int v) {
    return Clients.status(channels.get(v));
  }

  private String metrics(int v) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + cluster.metricsPort(v) + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      return r.body();
    } catch (IOException e) {
      throw new AssertionError("GET /metrics of validator " + v + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The value of the sample {@code series} (name and labels as exposed) in a /metrics text. */
  private static double value(String text, String series) {
    Optional<String> line = text.lines().filter(l -> l.startsWith(series + " ")).findFirst();
    assertThat(line).as("sample " + series + " in\n" + text).isPresent();
    String[] parts = line.get().split(" ");
    return Double.parseDouble(parts[1]);
  }

  private Socket dialPeer(int v) throws IOException {
    Socket s = new Socket("127.0.0.1", cluster.layout.basePort() + v);
    s.setSoTimeout(20_000);
    return s;
  }

  private PeerHello hello(int claimed, KeyPair key, ByteString challenge) {
    return PeerHello.newBuilder().setProtocolVersion(1).setGenesisHash(chain.genesisHash().bytes())
        .setValidator(claimed).setPublicKey(key.publicKey()).setChallenge(challenge).build();
  }

  private static ByteString challenge() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return ByteString.copyFrom(b);
  }

  /** Frames are a 4-byte big-endian length, a kind byte and the body (fedledger/v1/peer.proto). */
  private static void writeFrame(Socket s, byte kind, ByteString body) throws IOException {
    var out = new DataOutputStream(s.getOutputStream());
    out.writeInt(1 + body.size());
    out.writeByte(kind);
    body.writeTo(out);
    out.flush();
  }

  private static byte[] readFrame(DataInputStream in, byte kind) throws IOException {
    int length = in.readInt();
    byte k = in.readByte();
    byte[] body = new byte[length - 1];
    in.readFully(body);
    assertThat(k).as("frame kind").isEqualTo(kind);
    return body;
  }

  private static boolean closedByPeer(DataInputStream in) throws IOException {
    try {
      while (true) {
        in.skipNBytes(in.readInt());
      }
    } catch (EOFException | SocketException closed) {
      return true;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    }
  }

  /** Runs the CLI in this JVM and returns its standard output; fails on a non-zero exit. */
  private static synchronized String cli(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    int code;
    System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      code = Fedledger.run(args);
    } finally {
      System.setOut(old);
    }
    String out = buffer.toString(StandardCharsets.UTF_8);
    assertThat(code).as("fedledger " + String.join(" ", args) + "\n" + out).isZero();
    return out;
  }
}
