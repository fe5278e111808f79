package org.fedledger.node.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Four validators as child JVMs (real Netty, gRPC, RocksDB on loopback), one network through
 * a sequence of faults: load, kill -9 of the leader under load (then again with its data
 * directory wiped), a SIGTERM and restart. After each, the survivors and the restarted nodes must agree block by block.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT extends ClusterTestBase {
  private static final int TXS = 2_000;

  ClusterIT() {
    super("cluster-it");
  }

  @Test
  @Order(1)
  void concurrentClientsCommitEveryTransactionExactlyOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    List<Future<List<Envelope>>> sent = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      Load load = loads.get(c);
      int first = c % 4;
      sent.add(pool.submit(() -> {
        List<Envelope> mine = new ArrayList<>();
        for (int t = 0; t < TXS / CLIENTS; t++) {
          Envelope e = load.next("load");
          Load.submit(cluster, List.of((first + t) % 4, (first + t + 1) % 4), e);
          acknowledged.put(Load.id(e), e);
          mine.add(e);
        }
        return mine;
      }));
    }
    List<Envelope> all = new ArrayList<>();
    for (Future<List<Envelope>> f : sent) {
      all.addAll(f.get(5, TimeUnit.MINUTES));
    }
    pool.shutdown();
    assertThat(all).hasSize(TXS);
    awaitCommitted(all, List.of(0, 1, 2, 3));
    assertSameChain(List.of(0, 1, 2, 3));
    assertCommittedExactlyOnce(0);
  }

  @Test
  @Order(2)
  void killedLeaderUnderLoadViewChangesAndCatchesUpAfterRestart() throws Exception {
    killLeaderUnderLoadThenRestart(false, loads.get(0));
  }

  @Test
  @Order(3)
  void killedLeaderWithAWipedDataDirectoryRejoinsByStateTransfer() throws Exception {
    killLeaderUnderLoadThenRestart(true, loads.get(1));
  }

  /**
   * kill -9 of the leader while clients submit to the others: the three survivors change view
   * and go on committing, every acknowledged transaction commits; the killed node (its data
   * directory wiped when {@code wipe}) restarts and reaches the same head and state root.
   */
  private void killLeaderUnderLoadThenRestart(boolean wipe, Load client) throws Exception {
    Clients.await("all four in one view", 60_000, () -> {
      List<Long> views = new ArrayList<>();
      for (int v = 0; v < 4; v++) {
        cluster.status(v).filter(st -> !st.getSyncing()).ifPresent(st -> views.add(st.getView()));
      }
      return views.size() == 4 && views.stream().distinct().count() == 1;
    });
    NodeStatus before = cluster.status(0).orElseThrow();
    int leader = before.getLeader();
    List<Integer> others = others(leader);
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<Envelope> sent = new ConcurrentLinkedQueue<>();
    Thread load = loadThread(client, others, stop, sent);
    load.start();
    Clients.await("load flowing", 60_000, () -> sent.size() >= 50);
    cluster.kill(leader);
    if (wipe) {
      cluster.wipeData(leader);
    }
    long killedAt = cluster.status(others.get(0)).orElseThrow().getHeight();
    Clients.await("a view change away from the killed leader " + leader, 60_000, () -> others.stream()
        .allMatch(v -> cluster.status(v).map(s -> s.getView() > before.getView() && s.getLeader() != leader)
            .orElse(false)));
    Clients.await("the three survivors commit past height " + (killedAt + 3), 60_000, () -> others.stream()
        .allMatch(v -> cluster.status(v).map(s -> s.getHeight() > killedAt + 3).orElse(false)));
    stop.set(true);
    load.join();
    awaitCommitted(new ArrayList<>(sent), others);
    cluster.start(leader);
    catchUp(leader);
    assertSameChain(List.of(0, 1, 2, 3));
    assertCommittedExactlyOnce(leader);
  }

  @Test
  @Order(4)
  void sigtermShutsDownCleanlyAndTheNodeResumesAtItsHead() throws Exception {
    int v = 3;
    long height = cluster.status(v).orElseThrow().getHeight();
    int exit = cluster.terminate(v);
    assertThat(exit).as("exit code after SIGTERM").isIn(0, 143);
    assertThat(cluster.log(v)).contains("validator " + v + " stopped at height");
    cluster.start(v);
    Clients.await("validator " + v + " serving again", 60_000, () -> cluster.status(v).isPresent());
    assertThat(cluster.status(v).orElseThrow().getHeight()).isGreaterThanOrEqualTo(height);
    catchUp(v);
    assertSameChain(List.of(0, 1, 2, 3));
  }
}
