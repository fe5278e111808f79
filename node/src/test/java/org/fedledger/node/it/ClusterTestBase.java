package org.fedledger.node.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.chain.FinalityCheck;
import org.fedledger.ledger.chain.FinalityError;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.Clients;
import org.fedledger.node.TestChain;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.GetBlockRequest;
import org.fedledger.proto.api.GetReceiptRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.NodeStatus;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A four-validator {@link ProcessCluster} shared by the tests of one class, with client ADMINs
 * that generate load, and the checks every fault scenario ends with: every acknowledged
 * transaction committed exactly once, and all validators at the same blocks and state root.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClusterTestBase {
  static final int CLIENTS = 8;

  final String chainId;
  ProcessCluster cluster;
  final List<Load> loads = new ArrayList<>();
  /** Every transaction a validator acknowledged, by id. */
  final Map<ByteString, Envelope> acknowledged = Collections.synchronizedMap(new HashMap<>());

  ClusterTestBase(String chainId) {
    this.chainId = chainId;
  }

  @BeforeAll
  void start() throws Exception {
    Path dir = Path.of("target", "it", chainId + "-" + System.currentTimeMillis());
    Files.createDirectories(dir.getParent());
    cluster = new ProcessCluster(dir, 4, chainId, List.of("consensus.view_change_timeout_ticks=100"));
    cluster.startAll();
    // The genesis admin registers one ADMIN per client thread, so that each client has its own nonces.
    KeyPair admin = KeyFile.read(cluster.layout.adminKey());
    List<Envelope> registrations = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      KeyPair k = TestChain.key(200 + c);
      loads.add(new Load(chainId, k));
      registrations.add(TestChain.sign(admin, Transaction.newBuilder().setChainId(chainId).setNonce(c + 1)
          .setRegisterParticipant(RegisterParticipant.newBuilder().setName("client-admin-" + c).setRole(Role.ADMIN)
              .setPublicKey(k.publicKey()))));
    }
    for (Envelope e : registrations) {
      Load.submit(cluster, List.of(0, 1, 2, 3), e);
    }
    awaitCommitted(registrations, List.of(0, 1, 2, 3));
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Submits {@code load}'s transactions round-robin to {@code targets} without waiting for each to
   * commit, but, as node_api.proto asks of clients, with at most the chain's nonce window of them
   * outstanding: at the bound it waits for the oldest to commit (its receipt is checked later).
   */
  Thread loadThread(Load load, List<Integer> targets, AtomicBoolean stop, ConcurrentLinkedQueue<Envelope> sent) {
    return new Thread(() -> {
      ArrayDeque<Envelope> outstanding = new ArrayDeque<>();
      int t = 0;
      while (!stop.get()) {
        while (outstanding.size() >= Chain.DEFAULT_NONCE_WINDOW && !stop.get()) {
          awaitAnyReceipt(outstanding.peekFirst(), targets.get(t % targets.size()));
          outstanding.removeFirst();
        }
        Envelope e = load.next("under-fault");
        Load.submit(cluster, List.of(targets.get(t % targets.size()), targets.get((t + 1) % targets.size())), e);
        acknowledged.put(Load.id(e), e);
        sent.add(e);
        outstanding.addLast(e);
        t++;
      }
    }, "load");
  }

  /** Waits until {@code e} committed on validator {@code v} (any receipt; awaitCommitted checks it). */
  private void awaitAnyReceipt(Envelope e, int v) {
    LedgerApiGrpc.newBlockingStub(cluster.channel(v)).withDeadlineAfter(130, TimeUnit.SECONDS)
        .waitForCommit(WaitForCommitRequest.newBuilder().setTxId(Load.id(e)).setTimeoutMillis(120_000).build());
  }

  /** Waits until restarted validator {@code v} reaches the head the others had when it came back. */
  void catchUp(int v) {
    long target = others(v).stream().mapToLong(o -> cluster.status(o).orElseThrow().getHeight()).max().orElseThrow();
    Clients.await("validator " + v + " serving", 60_000, () -> cluster.status(v).isPresent());
    Clients.await("validator " + v + " catching up to height " + target, 120_000,
        () -> cluster.status(v).map(s -> s.getHeight() >= target).orElse(false));
  }

  static List<Integer> others(int excluded) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      if (i != excluded) {
        out.add(i);
      }
    }
    return out;
  }

  void awaitCommitted(List<Envelope> envelopes, List<Integer> live) {
    int i = 0;
    for (Envelope e : envelopes) {
      int v = live.get(i++ % live.size());
      var r = LedgerApiGrpc.newBlockingStub(cluster.channel(v)).withDeadlineAfter(130, TimeUnit.SECONDS)
          .waitForCommit(WaitForCommitRequest.newBuilder().setTxId(Load.id(e)).setTimeoutMillis(120_000).build());
      assertThat(r.getReceipt().getStatus()).as(r.getReceipt().toString()).isEqualTo(ReceiptStatus.SUCCESS);
    }
  }

  void assertThatNoReceipt(int v, ByteString id) {
    try {
      LedgerApiGrpc.newBlockingStub(cluster.channel(v)).getReceipt(GetReceiptRequest.newBuilder().setTxId(id).build());
      throw new AssertionError("transaction committed without a quorum");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
    }
  }

  /** Waits until {@code nodes} report the same head and state root, then compares every block. */
  void assertSameChain(List<Integer> nodes) {
    Clients.await("validators " + nodes + " at the same head and state root", 120_000, () -> {
      List<NodeStatus> s = new ArrayList<>();
      for (int v : nodes) {
        var st = cluster.status(v);
        if (st.isEmpty()) {
          return false;
        }
        s.add(st.get());
      }
      return s.stream().allMatch(x -> x.getHeight() == s.get(0).getHeight()
          && x.getHeadHash().equals(s.get(0).getHeadHash()) && x.getStateRoot().equals(s.get(0).getStateRoot()));
    });
    NodeStatus head = cluster.status(nodes.get(0)).orElseThrow();
    long height = head.getHeight();
    Finality finality = new Finality(GenesisFile.load(cluster.layout.genesis()));
    int selfCertified = 0;
    for (long h = 0; h <= height; h++) {
      CertifiedBlock first = block(nodes.get(0), h);
      for (int v : nodes.subList(1, nodes.size())) {
        assertThat(block(v, h).getBlock()).as("block " + h + " at validator " + v).isEqualTo(first.getBlock());
      }
      // Each validator serves some of the proofs (built from its own store).
      selfCertified += assertFinal(finality, nodes.get((int) (h % nodes.size())), h).selfCertified() ? 1 : 0;
    }
    System.out.printf("%s: validators %s agree on %d blocks (%d with a certificate of their own, the others"
        + " proved by a finality proof), head %s, state root %s, view %d; %d client txs acknowledged%n",
        chainId, nodes, height, selfCertified, Hash.of(head.getHeadHash()).shortHex(),
        Hash.of(head.getStateRoot()).shortHex(), head.getView(), acknowledged.size());
  }

  /**
   * Block {@code h} as validator {@code v} serves it is final: by its own certificate or by the
   * finality proof. A block at the uncertified tail has neither until the next certified block
   * commits (at most K blocks or the end of the leader's burst), so it is asked for again.
   */
  FinalityCheck.Final assertFinal(Finality finality, int v, long h) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      FinalityCheck c = finality.check(block(v, h));
      if (c instanceof FinalityCheck.Final f) {
        return f;
      }
      FinalityCheck.NotProved n = (FinalityCheck.NotProved) c;
      assertThat(n.error()).as("block %d at validator %d: %s", h, v, n).isEqualTo(FinalityError.NO_PROOF);
      assertThat(System.nanoTime()).as("block %d at validator %d is still not provable: %s", h, v, n).isLessThan(end);
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  CertifiedBlock block(int v, long h) {
    return LedgerApiGrpc.newBlockingStub(cluster.channel(v)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getBlock(GetBlockRequest.newBuilder().setHeight(h).build());
  }

  /** Every acknowledged transaction is in exactly one block of validator {@code v}, and nothing else is. */
  void assertCommittedExactlyOnce(int v) {
    long height = cluster.status(v).orElseThrow().getHeight();
    Map<ByteString, Integer> seen = new HashMap<>();
    for (long h = 1; h <= height; h++) {
      for (Envelope e : block(v, h).getBlock().getTransactionsList()) {
        seen.merge(Hash.sha256(e.getBody()).bytes(), 1, Integer::sum);
      }
    }
    synchronized (acknowledged) {
      for (ByteString id : acknowledged.keySet()) {
        assertThat(seen.getOrDefault(id, 0)).as("occurrences of tx " + Hash.of(id).shortHex()).isEqualTo(1);
      }
    }
    assertThat(seen.values()).allMatch(c -> c == 1);
    assertThat(seen.size()).isEqualTo(acknowledged.size() + CLIENTS); // + the client-admin registrations
  }
}
