package org.fedledger.node.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedledger.consensus.Input;
import org.fedledger.consensus.LogKeys;
import org.fedledger.consensus.Replica;
import org.fedledger.consensus.ReplicaConfig;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.ledger.store.StoreException;
import org.fedledger.node.TestChain;
import org.fedledger.node.metrics.NodeMetrics;
import org.fedledger.node.rpc.CommitFeed;
import org.fedledger.node.store.BlockCommitter;
import org.fedledger.node.store.GenesisCommit;
import org.fedledger.proto.BlockRequest;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit with votes fsynced: the loop writes a batch's records, hands the fsync to its
 * {@link WalSyncer} and goes on; the batch's messages reach the transport only once the fsync
 * covering its write has completed, later batches wait behind it in order, one fsync covers every
 * batch written while the one before ran, and a failed fsync releases nothing. The fsync here is a
 * test seam the test lets through (or fails) one call at a time. Validator 0 leads view 0: each
 * client request it steps becomes a PRE-PREPARE whose record asks for an fsync before it leaves;
 * a peer's BlockRequest is answered with no record at all. The loop is told never to fsync on its
 * own thread (at low load) except in the test of that case.
 */
class EventLoopSyncTest {
  private static final long WAIT_MILLIS = 30_000;

  @TempDir
  Path dir;

  private final TestChain chain = TestChain.of(4, 1);
  private final DefaultEventExecutor executor = new DefaultEventExecutor();
  private final RecordingTransport transport = new RecordingTransport();
  private final NodeMetrics metrics = new NodeMetrics();
  private final ControlledSync sync = new ControlledSync();
  private final List<EventLoop> loops = new ArrayList<>();
  private LedgerStore store;

  @BeforeEach
  void openStore() {
    store = LedgerStore.open(dir.resolve("data"), chain.chain().genesisHash(), Durability.GROUP);
  }

  @AfterEach
  void close() throws InterruptedException {
    sync.proceed.release(1_000); // never leave a syncer blocked in the seam
    for (EventLoop loop : loops) {
      loop.stop();
      loop.awaitStopped(WAIT_MILLIS);
    }
    executor.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(WAIT_MILLIS);
    store.close();
    metrics.close();
  }

  @Test
  void messagesLeaveOnlyAfterTheFsyncCoveringTheirBatchInOrderAndOneFsyncCoversSeveralBatches() throws Exception {
    EventLoop loop = loop(Durability.SYNC);
    handleAsOneBatch(loop, request(0)); // batch 1: PRE-PREPARE 1, its record written: fsync 1 starts
    sync.awaitStarted();
    handleAsOneBatch(loop, request(1)); // batch 2: PRE-PREPARE 2, written while fsync 1 runs
    handleAsOneBatch(loop, request(2)); // batch 3: PRE-PREPARE 3, likewise
    handleAsOneBatch(loop, blockRequest(2)); // batch 4: no record, no fsync of its own: waits in line
    assertThat(transport.sent()).as("nothing leaves while the fsync of batch 1 runs").isEmpty();
    assertThat(sync.calls()).isEqualTo(1);

    sync.proceed.release(); // fsync 1 done: it covered batch 1's write only
    sync.awaitStarted(); // fsync 2 (for batches 2 and 3) started after the loop was woken for fsync 1
    executor.submit(() -> { }).syncUninterruptibly(); // the release drain ran before this task
    assertThat(transport.sent()).as("batch 1 released, batches 2-4 still held")
        .containsExactly("PRE_PREPARE 1", "FORWARD_REQUEST");

    sync.proceed.release(); // fsync 2 covers batches 2 and 3; batch 4 follows them
    awaitSent(7);
    // Each batch's messages in the order decided: its PRE-PREPARE, then the client request it forwards.
    assertThat(transport.sent()).containsExactly("PRE_PREPARE 1", "FORWARD_REQUEST", "PRE_PREPARE 2",
        "FORWARD_REQUEST", "PRE_PREPARE 3", "FORWARD_REQUEST", "BLOCK_RESPONSE to 2");
    assertThat(sync.calls()).as("one fsync for batches 2 and 3").isEqualTo(2);
    assertThat(loop.failure()).isEmpty();

    loop.stop();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(syncerThreads()).as("stop joins the syncer").isEmpty();
  }

  @Test
  void withOneBlockInFlightTheLoopFsyncsOnItsOwnThreadWithMoreTheSyncerDoes() throws Exception {
    EventLoop loop = loop(Durability.SYNC, EventLoop.INLINE_IN_FLIGHT_BLOCKS_MAX); // the node's setting
    assertThat(loop.offer(request(0))).isTrue(); // block 1 alone in flight
    sync.awaitStarted();
    assertThat(sync.thread).as("the loop's own thread, not the syncer's").doesNotStartWith("fedledger-sync-");
    assertThat(transport.sent()).isEmpty();
    sync.proceed.release();
    awaitSent(2);
    assertThat(transport.sent()).containsExactly("PRE_PREPARE 1", "FORWARD_REQUEST");

    assertThat(loop.offer(request(1))).isTrue(); // block 2 proposed while block 1 is in flight
    sync.awaitStarted();
    assertThat(sync.thread).startsWith("fedledger-sync-");
    executor.submit(() -> { }).syncUninterruptibly();
    assertThat(transport.sent()).hasSize(2);
    sync.proceed.release();
    awaitSent(4);
    assertThat(transport.sent()).containsExactly("PRE_PREPARE 1", "FORWARD_REQUEST", "PRE_PREPARE 2",
        "FORWARD_REQUEST");
    assertThat(sync.calls()).isEqualTo(2);
  }

  @Test
  void aBatchWithNothingToFsyncAndNothingAheadLeavesAtOnce() throws Exception {
    EventLoop loop = loop(Durability.SYNC);
    handleAsOneBatch(loop, blockRequest(3));
    assertThat(transport.sent()).containsExactly("BLOCK_RESPONSE to 3");
    assertThat(sync.calls()).isZero();
    loop.stop();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
  }

  @Test
  void aFailedFsyncReleasesNothingAndStopsTheLoop() throws Exception {
    EventLoop loop = loop(Durability.SYNC);
    sync.failure = new StoreException("fsync of ledger store failed: EIO", null);
    handleAsOneBatch(loop, request(0));
    sync.awaitStarted();
    handleAsOneBatch(loop, blockRequest(2)); // waits behind batch 1
    sync.proceed.release(); // the fsync fails
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(loop.failure()).containsInstanceOf(StoreException.class);
    assertThat(loop.failure().orElseThrow()).hasCause(sync.failure);
    assertThat(transport.sent()).as("nothing held for the failed fsync left").isEmpty();
    assertThat(loop.offer(request(1))).isFalse();
    assertThat(syncerThreads()).isEmpty();
  }

  @Test
  void stopDropsHeldMessagesAndJoinsTheSyncer() throws Exception {
    EventLoop loop = loop(Durability.SYNC);
    handleAsOneBatch(loop, request(0));
    sync.awaitStarted();
    loop.stop(); // the stopping drain drops batch 1 and waits for the running fsync to end
    sync.proceed.release();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(loop.failure()).isEmpty();
    executor.submit(() -> { }).syncUninterruptibly();
    assertThat(transport.sent()).isEmpty();
    assertThat(syncerThreads()).isEmpty();
  }

  @Test
  void votesNotFsyncedSendAtOnceWithoutASyncer() throws Exception {
    EventLoop loop = loop(Durability.GROUP);
    assertThat(syncerThreads()).isEmpty();
    handleAsOneBatch(loop, request(0));
    assertThat(transport.sent()).containsExactly("PRE_PREPARE 1", "FORWARD_REQUEST");
    assertThat(sync.calls()).isZero();
    loop.stop();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
  }

  private EventLoop newLoop(Durability votes, long inlineInFlightMax) {
    ChainHead head = GenesisCommit.ensureGenesis(store, chain.chain());
    Replica replica = Replica.restore(ReplicaConfig.defaults(chain.chain(), 0, chain.validators().get(0)), head,
        store.stateRoot(), store.consensusLog().scan(LogKeys.PREFIX));
    return new EventLoop(executor, 0, replica, store, new BlockCommitter(chain.chain(), store, Durability.GROUP),
        transport, new CommitFeed(), metrics, new PendingTxs(1_000), 1_000, votes, Replica.FORWARD_TXS_MIN_CAP,
        1 << 20, sync, inlineInFlightMax);
  }

  /** A loop over validator 0 that has seen its first tick (a leader proposes only once it has a clock). */
  private EventLoop loop(Durability votes) {
    return loop(votes, -1);
  }

  private EventLoop loop(Durability votes, long inlineInFlightMax) {
    EventLoop loop = newLoop(votes, inlineInFlightMax);
    loops.add(loop);
    handleAsOneBatch(loop, new Input.Tick(1_700_000_001_000L));
    assertThat(sync.calls()).isZero();
    transport.clear(); // whatever the tick sent (it asks for no fsync)
    return loop;
  }

  /** Offers {@code input} and waits until the loop has handled it (a batch of its own). */
  private void handleAsOneBatch(EventLoop loop, Input input) {
    assertThat(loop.offer(input)).isTrue();
    executor.submit(() -> { }).syncUninterruptibly(); // runs after the drain the offer scheduled
  }

  private void awaitSent(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
    while (transport.sent().size() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    executor.submit(() -> { }).syncUninterruptibly();
  }

  private static List<String> syncerThreads() {
    List<String> names = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("fedledger-sync-") && t.isAlive()) {
        names.add(t.getName());
      }
    }
    return names;
  }

  private Input.Request request(int i) {
    Envelope env = chain.register(i, i + 1);
    try {
      return new Input.Request(new ParsedTx(Hash.sha256(env.getBody()), env, Transaction.parseFrom(env.getBody())));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static Input.Receive blockRequest(int from) {
    return new Input.Receive(from, ConsensusMessage.newBuilder()
        .setBlockRequest(BlockRequest.newBuilder().setFromHeight(1).setCountMax(1)).build());
  }

  /** The fsync seam: each call signals {@link #started}, then waits for {@link #proceed}; may fail. */
  private static final class ControlledSync implements Runnable {
    final Semaphore started = new Semaphore(0);
    final Semaphore proceed = new Semaphore(0);
    private final AtomicInteger calls = new AtomicInteger();
    volatile RuntimeException failure;
    volatile String thread;

    @Override
    public void run() {
      thread = Thread.currentThread().getName();
      calls.incrementAndGet();
      started.release();
      proceed.acquireUninterruptibly();
      if (failure != null) {
        throw failure;
      }
    }

    int calls() {
      return calls.get();
    }

    void awaitStarted() throws InterruptedException {
      assertThat(started.tryAcquire(WAIT_MILLIS, TimeUnit.MILLISECONDS)).as("an fsync started").isTrue();
    }
  }

  /** Records, in order, what reached the transport: "PRE_PREPARE seq" or "CASE to n". */
  private static final class RecordingTransport extends SilentPeerTransport {
    private final List<String> sent = new ArrayList<>();

    synchronized void clear() {
      sent.clear();
    }

    synchronized List<String> sent() {
      return List.copyOf(sent);
    }

    private synchronized void record(String what) {
      sent.add(what);
    }

    private static ConsensusMessage parse(ByteString payload) {
      try {
        return ConsensusMessage.parseFrom(payload);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }

    @Override
    public boolean send(int validator, ByteString payload) {
      record(parse(payload).getPayloadCase() + " to " + validator);
      return true;
    }

    @Override
    public int broadcast(ByteString payload) {
      ConsensusMessage msg = parse(payload);
      record(msg.hasPrePrepare() ? "PRE_PREPARE " + msg.getPrePrepare().getSequence() : msg.getPayloadCase().toString());
      return 3;
    }
  }
}
