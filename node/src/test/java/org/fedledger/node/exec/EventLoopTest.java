package org.fedledger.node.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fedledger.consensus.Input;
import org.fedledger.consensus.LogKeys;
import org.fedledger.consensus.Replica;
import org.fedledger.consensus.ReplicaConfig;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.node.TestChain;
import org.fedledger.node.metrics.NodeMetrics;
import org.fedledger.node.rpc.CommitFeed;
import org.fedledger.node.rpc.TxIntake;
import org.fedledger.node.store.BlockCommitter;
import org.fedledger.node.store.GenesisCommit;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event loop as a drain task on one executor thread (the Netty I/O thread in a validator):
 * inputs queued while a batch runs, or offered from that thread itself, form one group-commit
 * batch; a failure or stop ends it. Validator 1 is a backup in view 0, so each client request
 * it steps becomes a broadcast ForwardRequest, coalesced per batch: the broadcasts show the batches.
 */
class EventLoopTest {
  private static final long WAIT_MILLIS = 30_000;

  @TempDir
  Path dir;

  private final TestChain chain = TestChain.of(4, 1);
  private final DefaultEventExecutor executor = new DefaultEventExecutor();
  private final RecordingTransport transport = new RecordingTransport();
  private final NodeMetrics metrics = new NodeMetrics();
  private LedgerStore store;

  @BeforeEach
  void openStore() {
    store = LedgerStore.open(dir.resolve("data"), chain.chain().genesisHash(), Durability.GROUP);
  }

  @AfterEach
  void close() {
    executor.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(WAIT_MILLIS);
    store.close();
    metrics.close();
  }

  @Test
  void inputsQueuedWhileTheThreadIsBusyAreHandledAsOneBatch() throws Exception {
    EventLoop loop = loop(1_000);
    CountDownLatch release = blockExecutor();
    for (int i = 0; i < 5; i++) {
      assertThat(loop.offer(request(i))).isTrue();
    }
    release.countDown();
    awaitBroadcasts(1);
    assertThat(transport.forwardedTxCounts()).containsExactly(5);
    assertThat(loop.isAlive()).isTrue();
    assertThat(loop.failure()).isEmpty();
  }

  @Test
  void inputsOfferedFromTheLoopThreadItselfFormOneBatch() throws Exception {
    EventLoop loop = loop(1_000);
    // What Netty does: all frames read in one I/O cycle are offered from its own thread.
    executor.submit(() -> {
      for (int i = 0; i < 3; i++) {
        loop.offer(request(i));
      }
    }).syncUninterruptibly();
    awaitBroadcasts(1);
    // A later offer from another thread wakes the loop for a batch of its own.
    assertThat(loop.offer(request(3))).isTrue();
    awaitBroadcasts(2);
    assertThat(transport.forwardedTxCounts()).containsExactly(3, 1);
  }

  @Test
  void aFullQueueDropsAndCountsTheInput() throws Exception {
    EventLoop loop = loop(2);
    CountDownLatch release = blockExecutor();
    assertThat(loop.offer(request(0))).isTrue();
    assertThat(loop.offer(request(1))).isTrue();
    assertThat(loop.offer(request(2))).isFalse();
    assertThat(metrics.messagesDropped.labelValues("input_queue_full").get()).isEqualTo(1.0);
    release.countDown();
    awaitBroadcasts(1);
    assertThat(transport.forwardedTxCounts()).containsExactly(2);
    assertThat(loop.offer(request(3))).isTrue(); // room again
    awaitBroadcasts(2);
  }

  @Test
  void offerAllQueuesABatchInOneHandOffHandledAsOneBatch() throws Exception {
    EventLoop loop = loop(1_000);
    assertThat(loop.offerAll(List.of(request(0), request(1), request(2), request(3)))).isEqualTo(4);
    awaitBroadcasts(1);
    assertThat(transport.forwardedTxCounts()).containsExactly(4);
  }

  @Test
  void offerAllQueuesThePrefixThatFitsAndCountsTheRest() throws Exception {
    EventLoop loop = loop(3);
    CountDownLatch release = blockExecutor();
    assertThat(loop.offer(request(0))).isTrue();
    assertThat(loop.offerAll(List.of(request(1), request(2), request(3), request(4)))).isEqualTo(2);
    assertThat(metrics.messagesDropped.labelValues("input_queue_full").get()).isEqualTo(2.0);
    assertThat(loop.offerAll(List.of(request(5)))).isZero();
    release.countDown();
    awaitBroadcasts(1);
    assertThat(transport.forwardedTxCounts()).containsExactly(3);
    loop.stop();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(loop.offerAll(List.of(request(6), request(7)))).isZero();
    assertThat(metrics.messagesDropped.labelValues("stopping").get()).isEqualTo(2.0);
  }

  @Test
  void aFailureStopsTheLoopAndIsReported() throws Exception {
    EventLoop loop = loop(1_000);
    transport.failWith = new IllegalStateException("broken link");
    assertThat(loop.offer(request(0))).isTrue();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(loop.isAlive()).isFalse();
    assertThat(loop.failure()).containsInstanceOf(IllegalStateException.class);
    assertThat(loop.offer(request(1))).isFalse();
    assertThat(metrics.messagesDropped.labelValues("stopping").get()).isEqualTo(1.0);
  }

  @Test
  void stopDiscardsQueuedInputsAndEndsTheLoop() throws Exception {
    EventLoop loop = loop(1_000);
    CountDownLatch release = blockExecutor();
    assertThat(loop.offer(request(0))).isTrue();
    loop.stop();
    assertThat(loop.offer(request(1))).isFalse();
    assertThat(loop.isAlive()).isTrue(); // the thread has not seen the stop yet
    release.countDown();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(loop.isAlive()).isFalse();
    assertThat(loop.failure()).isEmpty();
    // Nothing queued before the stop was stepped: a task run after the drain sees no broadcast.
    executor.submit(() -> { }).syncUninterruptibly();
    assertThat(transport.forwardedTxCounts()).isEmpty();
  }

  @Test
  void stopWhenTheThreadIsGoneEndsTheLoop() throws Exception {
    EventLoop loop = loop(1_000);
    executor.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(WAIT_MILLIS);
    assertThat(loop.offer(request(0))).isFalse();
    loop.stop();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(loop.isAlive()).isFalse();
  }

  /**
   * A client retrying a full mempool must not be told "full" by a node that is going away: a
   * stopping or stopped loop makes the intake answer UNAVAILABLE, a full input queue FULL.
   */
  @Test
  void theIntakeAnswersFullForAFullQueueAndUnavailableOnceTheLoopStops() throws Exception {
    EventLoop loop = loop(2);
    LoopIntake intake = new LoopIntake(new PendingTxs(1_000), loop);
    assertThat(intake.offer(request(0).tx())).as("not opened yet").isEqualTo(TxIntake.Admission.UNAVAILABLE);
    intake.open(true);
    CountDownLatch release = blockExecutor();
    assertThat(intake.offer(request(1).tx())).isEqualTo(TxIntake.Admission.ACCEPTED);
    assertThat(intake.offerAll(List.of(request(2).tx(), request(3).tx())))
        .containsExactly(TxIntake.Admission.ACCEPTED, TxIntake.Admission.FULL);
    assertThat(intake.offer(request(4).tx())).isEqualTo(TxIntake.Admission.FULL);
    assertThat(loop.acceptsInput()).isTrue();
    loop.stop(); // stopping: the thread has not seen it yet, the queue is still full
    assertThat(loop.acceptsInput()).isFalse();
    assertThat(intake.offer(request(5).tx())).isEqualTo(TxIntake.Admission.UNAVAILABLE);
    assertThat(intake.offerAll(List.of(request(6).tx(), request(7).tx())))
        .containsExactly(TxIntake.Admission.UNAVAILABLE, TxIntake.Admission.UNAVAILABLE);
    release.countDown();
    assertThat(loop.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(intake.offer(request(8).tx())).as("stopped").isEqualTo(TxIntake.Admission.UNAVAILABLE);
    assertThat(intake.offerAll(List.of(request(9).tx()))).containsExactly(TxIntake.Admission.UNAVAILABLE);
  }

  @Test
  void theIntakeAnswersUnavailableAfterTheLoopFailedOrItsThreadIsGone() throws Exception {
    EventLoop failed = loop(1_000);
    LoopIntake intake = new LoopIntake(new PendingTxs(1_000), failed);
    intake.open(true);
    transport.failWith = new IllegalStateException("broken link");
    assertThat(intake.offer(request(0).tx())).isEqualTo(TxIntake.Admission.ACCEPTED);
    assertThat(failed.awaitStopped(WAIT_MILLIS)).isTrue();
    assertThat(intake.offer(request(1).tx())).isEqualTo(TxIntake.Admission.UNAVAILABLE);

    DefaultEventExecutor gone = new DefaultEventExecutor();
    gone.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(WAIT_MILLIS);
    EventLoop orphan = loop(1_000, gone);
    LoopIntake orphanIntake = new LoopIntake(new PendingTxs(1_000), orphan);
    orphanIntake.open(true);
    assertThat(orphanIntake.offer(request(2).tx())).as("the thread refuses the drain")
        .isEqualTo(TxIntake.Admission.UNAVAILABLE);
    assertThat(orphan.acceptsInput()).isFalse();
  }

  private EventLoop loop(int queueMax) {
    return loop(queueMax, executor);
  }

  private EventLoop loop(int queueMax, java.util.concurrent.Executor on) {
    ChainHead head = GenesisCommit.ensureGenesis(store, chain.chain());
    Replica replica = Replica.restore(ReplicaConfig.defaults(chain.chain(), 1, chain.validators().get(1)), head,
        store.stateRoot(), store.consensusLog().scan(LogKeys.PREFIX));
    return new EventLoop(on, 1, replica, store, new BlockCommitter(chain.chain(), store, Durability.GROUP),
        transport, new CommitFeed(), metrics, new PendingTxs(1_000), queueMax, Durability.GROUP,
        Replica.FORWARD_TXS_MIN_CAP, 1 << 20);
  }

  /** Occupies the executor's thread until the returned latch is counted down. */
  private CountDownLatch blockExecutor() throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    executor.execute(() -> {
      running.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(running.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
    return release;
  }

  private void awaitBroadcasts(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
    while (transport.forwardedTxCounts().size() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    // Let the loop finish what it handles now, then check no more broadcasts than expected came.
    executor.submit(() -> { }).syncUninterruptibly();
    assertThat(transport.forwardedTxCounts()).hasSize(n);
  }

  private Input.Request request(int i) {
    Envelope env = chain.register(i, i + 1);
    try {
      return new Input.Request(new ParsedTx(Hash.sha256(env.getBody()), env, Transaction.parseFrom(env.getBody())));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  /** Records the transactions of every broadcast ForwardRequest; can be made to throw. */
  private static final class RecordingTransport extends SilentPeerTransport {
    private final List<Integer> forwarded = new ArrayList<>();
    volatile RuntimeException failWith;

    synchronized List<Integer> forwardedTxCounts() {
      return List.copyOf(forwarded);
    }

    @Override
    public int broadcast(ByteString payload) {
      if (failWith != null) {
        throw failWith;
      }
      try {
        ConsensusMessage msg = ConsensusMessage.parseFrom(payload);
        if (msg.getPayloadCase() == ConsensusMessage.PayloadCase.FORWARD_REQUEST) {
          synchronized (this) {
            forwarded.add(msg.getForwardRequest().getTransactionsCount());
          }
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
      return 3;
    }
  }
}
