package org.fedledger.node.exec;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedledger.consensus.Drop;
import org.fedledger.consensus.Input;
import org.fedledger.consensus.Ready;
import org.fedledger.consensus.Replica;
import org.fedledger.consensus.ViewChangeCause;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.node.metrics.NodeMetrics;
import org.fedledger.node.net.PeerTransport;
import org.fedledger.node.rpc.CommitFeed;
import org.fedledger.node.store.BlockCommitter;
import org.fedledger.proto.BlockRequest;
import org.fedledger.proto.BlockResponse;
import org.fedledger.proto.ConsensusMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that owns the {@link Replica}: the peer transport's single Netty I/O thread
 * ({@code fedledger-loop-N}), given as {@code executor}. Netty, gRPC and the timer only
 * {@link #offer} inputs into a bounded queue; a drain task on that thread steps the replica and carries out
 * each {@link Ready} in the order its contract gives: persist before any message leaves, then
 * send, then execute and store committed blocks and feed {@link Input.Executed} back. It also
 * answers peers' state-transfer requests from the store.
 *
 * <p><b>Group commit.</b> The loop takes every input waiting in the queue (up to
 * {@link #BATCH_INPUTS_MAX}), steps each, writes all their records in ONE batch, then sends all
 * their messages, then executes the blocks they committed and stores them all in one more write:
 * one write (and one fsync) covers every input that arrived during the previous one, and no
 * message leaves before the records of the step that decided it are written. When the blocks a
 * batch stores are small (at most {@link #JOINT_WRITE_TXS_MAX} transactions and
 * {@link #JOINT_WRITE_BYTES_MAX} envelope bytes in all), they are executed first and stored in the
 * SAME write as the batch's records, before its messages leave: one write per batch instead of
 * two, at the cost of delaying the messages by their execution (tens of µs for such blocks; more
 * when a block's end closes a federated-learning round, which the loop pays either way). This
 * runs step 3 of a {@link Ready} before step 2: storing an already committed block first cannot
 * change what the messages say, and a crash between the write and the sends leaves the records of
 * those messages with the block, as a crash after a records-only write would.
 * Either way a block is stored only once executed and nothing leaves before the records that
 * decided it are written. Forwarded client transactions of one batch go out as one message.
 *
 * <p><b>Vote durability</b> ({@code votes}): {@link Durability#SYNC} makes that write durable
 * before the batch's messages leave when a Ready of the batch asks ({@link Ready#syncBeforeSend}:
 * the records whose loss in a power failure could break the protocol); {@link Durability#GROUP}
 * hands it to the operating system (write(2), RocksDB's write-ahead log, no fsync) before any
 * message leaves, so a vote survives a process crash or kill -9 but not an operating-system crash
 * or power loss: after a power loss such a replica may have forgotten a vote it sent and must be
 * counted among the f faulty ones. With GROUP nothing below applies: no fsync thread, every batch
 * goes at once, as described above.
 *
 * <p><b>The fsync is off the loop's thread</b> (SYNC). The loop writes a batch that asks for an
 * fsync WITHOUT one, numbers the write, hands "durable up to write w" to its {@link WalSyncer}
 * thread and goes on stepping the next inputs; one fsync covers every write made before it
 * started (RocksDB's {@code syncWal()}, safe concurrently with writes), so while one runs the
 * loop writes several batches and the next fsync covers them all. (At low load, with at most
 * {@link #INLINE_IN_FLIGHT_BLOCKS_MAX} block in flight and nothing held or being fsynced, the loop
 * fsyncs the batch itself, as it always did: there is nothing to overlap and a hand-off would only
 * add two thread wake-ups to the latency path.) Until then the batch is
 * {@link Held}: its messages (state-transfer answers too) and the blocks it committed. Held
 * batches are released on the loop's thread strictly in order, each once the fsync covering its
 * own write has completed and every batch before it was released (a batch that needs no fsync
 * waits behind an earlier one that does): its messages are sent, its blocks are executed and
 * stored (with the records of the batch being handled, in one write, when small) and announced.
 * A block is therefore never stored, served, streamed or receipted before the records of the
 * batch that committed it, and of every batch before, are durable. A failed fsync is final: the
 * loop stops with a {@link org.fedledger.ledger.store.StoreException} and nothing held for it (or
 * behind it) ever leaves. Stopping (or failing) drops held batches, like a crash right after their
 * records were written, and joins the syncer before the loop reports itself stopped, so the store
 * can be closed.
 *
 * <p><b>Why a power loss leaves a state the synchronous loop could also have left, as the peers
 * see it.</b> RocksDB recovers its write-ahead log as a prefix (point-in-time recovery) and the
 * loop's writes are numbered in log order, so after a power loss the store holds a prefix D of the
 * writes, reaching at least the last write a completed fsync covered. Everything that left the
 * node left from a released batch, hence was justified by records in writes inside D; a batch
 * whose records are in D but whose messages were still held is the synchronous loop losing power
 * after an fsync and before its sends (or its messages lost by the network: a restarted replica
 * retransmits from its log), and records beyond D were never acted upon outside the process, like
 * a synchronous write that lost power during its fsync. Whatever the replica did with state it
 * believed "sent" but that was held (its own PREPARE or COMMIT counted towards its own quorums, a
 * block prepared, committed or checkpointed on that count, a retransmission or view-change timer
 * started, a VIEW-CHANGE or NEW-VIEW decided, a stable checkpoint collected with its own CHECKPOINT
 * and the log below it deleted) lived in memory or in writes not yet covered, so it is lost with
 * the power together with every effect it had: the messages waited in the same FIFO (a
 * retransmission never overtakes its original), the committed blocks were not stored, so no client
 * receipt, {@code GetBlock}, {@code StreamBlocks} or {@code BlockResponse} exposed a commit resting
 * on an unsent vote. A kill -9 keeps every write (they reached the operating system) and loses only
 * held messages: the synchronous loop killed between persist and send. Two orderings differ from
 * the synchronous loop's and are invisible to peers: {@link Input.Executed} reaches the replica
 * after inputs stepped while its block waited (as with slow execution; the consensus simulator
 * interleaves it likewise), and a released block is stored in the write of a later batch, so a
 * power loss can keep a later batch's records without an earlier batch's blocks (committed blocks
 * are group-committed anyway and a lost suffix is fetched again; no record depends on a block
 * being stored except through Executed, fed only after its write).
 *
 * <p><b>On the I/O thread.</b> Running the loop on the thread that reads and writes the peer
 * connections saves two thread wake-ups per peer message: a frame read by Netty is queued and
 * handled by a task of the same thread (all frames of one read cycle form one batch), and the
 * messages the loop sends are written to the channels directly, without a task hand-off. A
 * {@link #drain} task handles one batch and then re-schedules itself if more inputs wait, so
 * Netty interleaves its I/O between batches. The cost: while a batch writes to RocksDB or
 * commits blocks, no peer frame is read or written (the fsync no longer counts: see above);
 * the loop was the bottleneck anyway, and frames wait in the sockets' buffers meanwhile.
 */
final class EventLoop {
  private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
  /** Most blocks served in one state-transfer response. */
  static final int SERVE_BLOCKS_MAX = 64;
  /** Most bytes of blocks served in one response (below the transport's frame limit). */
  static final int SERVE_BYTES_MAX = 8 << 20;
  /** Pending transactions not committed after this long are forgotten (clients may resubmit). */
  static final long PENDING_TTL_NANOS = TimeUnit.MINUTES.toNanos(10);
  /** Most inputs stepped before one group commit of their records. */
  static final int BATCH_INPUTS_MAX = 1024;
  /**
   * Most transactions in the blocks a batch committed for them to be executed BEFORE its messages
   * leave and stored in the same write as its records (see the class doc); larger blocks are
   * executed after sending and stored in a write of their own.
   */
  static final int JOINT_WRITE_TXS_MAX = 16;
  /** Most envelope bytes of those transactions for the same (e.g. no batch of model updates). */
  static final long JOINT_WRITE_BYTES_MAX = 64 << 10;
  /**
   * Most blocks in flight (highest PRE-PREPARE sequence sent or received above the last block
   * committed) for the loop to fsync a batch itself when no batch is held and no fsync runs,
   * instead of handing it to the {@link WalSyncer}: at low load (one block in flight) there is
   * nothing to overlap with the fsync and a hand-off would only add two thread wake-ups to the
   * latency path; with a pipeline of blocks the syncer takes the fsyncs. Only speed depends on it.
   */
  static final long INLINE_IN_FLIGHT_BLOCKS_MAX = 1;

  private final int self;
  private final Replica replica;
  private final LedgerStore store;
  private final BlockCommitter committer;
  private final PeerTransport transport;
  private final CommitFeed feed;
  private final NodeMetrics metrics;
  private final PendingTxs pending;
  private final Durability votes;
  private final int forwardTxsMax;
  private final long forwardBytesMax;
  private final Executor executor;
  private final int queueMax;
  /** Inputs not yet taken by a drain (many producers, the loop thread the only consumer). */
  private final ConcurrentLinkedQueue<Input> queue = new ConcurrentLinkedQueue<>();
  /** Inputs in {@link #queue} plus those being added: bounds it by {@link #queueMax}. */
  private final AtomicInteger queued = new AtomicInteger();
  /** True while a {@link #drain} task is queued on or running on {@link #executor}. */
  private final AtomicBoolean scheduled = new AtomicBoolean();
  /** Counted down once the loop has stopped (stop or failure) and no drain is running. */
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final java.util.List<Input> batch = new java.util.ArrayList<>();
  private final AtomicBoolean tickQueued = new AtomicBoolean();
  private final ArrayDeque<Input> followUps = new ArrayDeque<>();
  private final EnumMap<Drop, Long> dropsSeen = new EnumMap<>(Drop.class);
  private final EnumMap<ViewChangeCause, Long> causesSeen = new EnumMap<>(ViewChangeCause.class);
  /** Measurement hook (benchmarks); {@link ConsensusProbe#NONE} unless set. */
  volatile ConsensusProbe probe = ConsensusProbe.NONE;
  private volatile boolean running = true;
  private volatile StatusView status;
  private volatile Throwable failure;
  /** The fsync thread when votes are {@link Durability#SYNC}, else null (nothing is ever held). */
  private final WalSyncer syncer;
  /**
   * Batches whose messages and committed blocks wait for an fsync, oldest first (loop thread
   * only): released in this order once {@link #durable()} reaches their {@link Held#write}.
   */
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  /** Committed blocks released (their batch's records durable) and not yet stored, in height order. */
  private final java.util.List<Ready.CommittedBlock> toStore = new java.util.ArrayList<>();
  /** Number of store writes this loop made (numbers them for {@link WalSyncer#request}). */
  private long writes;
  /** Highest write number this loop made durable itself (a block write with data.sync_commits). */
  private long writtenDurable;
  private final Runnable walSync;
  /** See {@link #INLINE_IN_FLIGHT_BLOCKS_MAX}; -1: never fsync on the loop's thread (tests). */
  private final long inlineInFlightMax;
  /** Highest PRE-PREPARE sequence this loop sent or received (for {@link #INLINE_IN_FLIGHT_BLOCKS_MAX}). */
  private long proposedHeight;
  /** Height of the last block the replica committed that is stored, to be stored or held. */
  private long queuedHeight;
  private long syncTarget;
  private long lastSyncLogNanos;
  private long lastExpiryNanos = System.nanoTime();

  /**
   * @param executor the single thread the loop runs on (the peer transport's Netty I/O thread)
   * @param queueMax most inputs waiting; more are dropped and counted
   * @param votes how durable the consensus-log writes are before messages leave (see the class doc)
   * @param forwardTxsMax most transactions in one coalesced ForwardRequest (at most
   *     {@link Replica#forwardTxsMax}: replicas refuse larger ones)
   * @param forwardBytesMax most envelope bytes in one coalesced ForwardRequest
   */
  EventLoop(Executor executor, int self, Replica replica, LedgerStore store, BlockCommitter committer,
      PeerTransport transport, CommitFeed feed, NodeMetrics metrics, PendingTxs pending, int queueMax, Durability votes,
      int forwardTxsMax, long forwardBytesMax) {
    this(executor, self, replica, store, committer, transport, feed, metrics, pending, queueMax, votes, forwardTxsMax,
        forwardBytesMax, store::sync, INLINE_IN_FLIGHT_BLOCKS_MAX);
  }

  /**
   * As above; {@code walSync} makes every write so far durable ({@link LedgerStore#sync} in a
   * validator; a test seam), run on the loop's {@link WalSyncer} thread when {@code votes} is
   * {@link Durability#SYNC}, or on the loop's own with at most {@code inlineInFlightMax} blocks in
   * flight ({@link #INLINE_IN_FLIGHT_BLOCKS_MAX}; -1: never).
   */
  EventLoop(Executor executor, int self, Replica replica, LedgerStore store, BlockCommitter committer,
      PeerTransport transport, CommitFeed feed, NodeMetrics metrics, PendingTxs pending, int queueMax, Durability votes,
      int forwardTxsMax, long forwardBytesMax, Runnable walSync, long inlineInFlightMax) {
    if (queueMax < 1) {
      throw new IllegalArgumentException("queueMax must be positive, got " + queueMax);
    }
    this.executor = java.util.Objects.requireNonNull(executor, "executor");
    this.queueMax = queueMax;
    this.self = self;
    this.replica = replica;
    this.store = store;
    this.committer = committer;
    this.transport = transport;
    this.feed = feed;
    this.metrics = metrics;
    this.pending = pending;
    this.votes = java.util.Objects.requireNonNull(votes, "votes");
    this.forwardTxsMax = forwardTxsMax;
    this.forwardBytesMax = forwardBytesMax;
    this.queuedHeight = store.head().orElseThrow().height();
    this.walSync = walSync;
    this.inlineInFlightMax = inlineInFlightMax;
    publishStatus();
    this.syncer = votes == Durability.SYNC ? new WalSyncer("fedledger-sync-" + self, walSync, this::wake) : null;
  }

  /**
   * Queues {@code input} and schedules a drain on the loop's thread unless one is pending (from
   * that thread itself this only queues the task; from another thread it wakes the loop). False
   * when the queue is full or the loop is stopping (the input is dropped, and counted).
   */
  boolean offer(Input input) {
    if (!running) {
      metrics.messagesDropped.labelValues("stopping").inc();
      return false;
    }
    if (queued.incrementAndGet() > queueMax) {
      queued.decrementAndGet();
      metrics.messagesDropped.labelValues("input_queue_full").inc();
      return false;
    }
    queue.add(input);
    if (!schedule()) {
      metrics.messagesDropped.labelValues("stopping").inc();
      return false; // the loop's thread is shut down: the input is never handled
    }
    return true;
  }

  /**
   * Queues the first of {@code inputs} that fit in the queue, in ONE hand-off: appended
   * together in one step and one drain scheduled for them (a drain takes at most
   * {@link #BATCH_INPUTS_MAX} inputs, so a long queue may split them over two batches). Returns how
   * many were queued (a prefix of {@code inputs}; 0 when the loop is stopping); the rest are
   * dropped and counted as by {@link #offer}.
   */
  int offerAll(java.util.List<? extends Input> inputs) {
    int n = inputs.size();
    if (!running) {
      metrics.messagesDropped.labelValues("stopping").inc(n);
      return 0;
    }
    int taken;
    int before;
    do {
      before = queued.get();
      taken = Math.max(0, Math.min(n, queueMax - before));
    } while (taken > 0 && !queued.compareAndSet(before, before + taken));
    if (taken < n) {
      metrics.messagesDropped.labelValues("input_queue_full").inc(n - taken);
    }
    if (taken == 0) {
      return 0;
    }
    queue.addAll(taken == n ? inputs : inputs.subList(0, taken)); // one CAS appends the whole chain
    if (!schedule()) {
      metrics.messagesDropped.labelValues("stopping").inc(taken);
      return 0; // the loop's thread is shut down: the inputs are never handled
    }
    return taken;
  }

  /** Queues a tick unless one is already waiting (ticks never pile up behind a busy loop). */
  void tick(long nowMillis) {
    if (tickQueued.compareAndSet(false, true) && !offer(new Input.Tick(nowMillis))) {
      tickQueued.set(false);
    }
  }

  /**
   * Asks the loop to stop after the input it is handling; queued inputs are discarded.
   * {@link #awaitStopped} waits for that.
   */
  void stop() {
    running = false;
    if (!schedule()) {
      closeSyncer();
      stopped.countDown(); // the thread is gone: nothing runs any more
    }
  }

  /**
   * False from the moment the loop is stopping: after {@link #stop}, a failure, or its thread
   * refusing work (shut down). Offers are refused from then on, whatever room the queue has, so
   * a refused offer means "queue full" only while this is true.
   */
  boolean acceptsInput() {
    return running;
  }

  /** True until the loop has stopped (after {@link #stop} or a failure) and no batch is running. */
  boolean isAlive() {
    return stopped.getCount() > 0;
  }

  /** Waits at most {@code timeoutMillis} for the loop to stop; true when it has. */
  boolean awaitStopped(long timeoutMillis) throws InterruptedException {
    return stopped.await(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  /** Waits for the loop to stop (a failure or {@link #stop}). */
  void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  /** The last published status. */
  StatusView status() {
    return status;
  }

  /** The error that stopped the loop, if any. */
  Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * Submits a {@link #drain} unless one is queued or running; false when the executor refuses
   * it (shut down).
   */
  private boolean schedule() {
    if (!scheduled.compareAndSet(false, true)) {
      return true; // the pending drain sees the input: it is added before this check
    }
    try {
      executor.execute(this::drain);
      return true;
    } catch (RejectedExecutionException shutDown) {
      running = false; // no drain can ever run again: the loop is stopped, not full
      scheduled.set(false);
      LOG.debug("event loop of validator {}: executor shut down", self);
      return false;
    }
  }

  /**
   * One batch on the loop's thread: takes up to {@link #BATCH_INPUTS_MAX} queued inputs, handles
   * them as one group commit, then the follow-ups they produced, then publishes the status;
   * re-schedules itself when more inputs wait (one batch per task, so Netty's I/O interleaves).
   */
  void drain() {
    try {
      if (running) {
        checkSyncer();
        Input input;
        while (batch.size() < BATCH_INPUTS_MAX && (input = queue.poll()) != null) {
          queued.decrementAndGet();
          batch.add(input);
        }
        if (!batch.isEmpty() || releasable()) {
          handleBatch(batch);
          batch.clear();
          while (!followUps.isEmpty() && running) {
            batch.addAll(followUps);
            followUps.clear();
            handleBatch(batch);
            batch.clear();
          }
          publishStatus();
        }
      }
    } catch (Throwable t) {
      // A broken invariant or a store failure: stop here rather than go on with unknown state.
      failure = t;
      running = false;
      LOG.error("event loop stopped: {}", t.toString(), t);
    } finally {
      batch.clear();
      scheduled.set(false);
      if (!running) {
        queue.clear();
        followUps.clear();
        // Held messages never leave and held blocks are not stored, as in a crash right after their
        // records were written: the restart retransmits and re-commits (stop or failure alike).
        held.clear();
        toStore.clear();
        closeSyncer();
        stopped.countDown();
      } else if (!queue.isEmpty() || releasable() || (syncer != null && syncer.failure() != null)) {
        schedule(); // read after clearing scheduled: a sync reported meanwhile is seen here or wakes a drain
      }
    }
  }

  /** Called by the syncer after an fsync (or its failure): a drain releases what it covers. */
  private void wake() {
    if (running) {
      schedule();
    }
  }

  /** Stops the fsync thread and waits for it (its fsync, if one runs, ends first). */
  private void closeSyncer() {
    if (syncer != null) {
      syncer.close();
    }
  }

  /** Stops the loop (through the caller's catch) when an fsync failed: what waited for it never leaves. */
  private void checkSyncer() {
    Throwable t = syncer == null ? null : syncer.failure();
    if (t != null) {
      throw new org.fedledger.ledger.store.StoreException("consensus log fsync failed; " + held.size()
          + " batches of messages held for it are dropped: " + t.getMessage(), t);
    }
  }

  /** The highest write number known durable. */
  private long durable() {
    return Math.max(writtenDurable, syncer == null ? 0 : syncer.durable());
  }

  /** True when the oldest held batch's fsync has completed. */
  private boolean releasable() {
    Held first = held.peekFirst();
    return first != null && first.write() <= durable();
  }

  /**
   * Group commit: steps every input of {@code batch}, then writes all their records in one write
   * (with the released committed blocks, executed first, when those are small), then sends all
   * their messages, then executes and stores the blocks in one more write if they were not in the
   * first, then announces them. With votes {@link Durability#SYNC} and a Ready asking for an fsync,
   * the write is not fsynced here: its number goes to the {@link WalSyncer} and the batch's messages
   * and blocks are {@link Held} until the fsync that covers it completes (FIFO: a batch behind one
   * that waits waits too). Each Ready's contract holds (nothing it decided leaves, and no block it
   * committed is stored, before its records are durable) and one fsync covers every batch written
   * while the one before ran.
   */
  private void handleBatch(java.util.List<Input> batch) {
    java.util.List<Ready> readies = new java.util.ArrayList<>(batch.size());
    java.util.List<Ready.Outbound> out = new java.util.ArrayList<>();
    for (Input input : batch) {
      if (!running) {
        return; // stepped but unsent decisions are lost as in a crash: nothing left this node
      }
      if (input instanceof Input.Tick) {
        tickQueued.set(false);
        expirePending();
      }
      if (input instanceof Input.Receive r && r.msg().getPayloadCase() == ConsensusMessage.PayloadCase.BLOCK_REQUEST) {
        out.add(serveBlocks(r.from(), r.msg().getBlockRequest()));
        continue;
      }
      if (input instanceof Input.Receive r && r.msg().getPayloadCase() == ConsensusMessage.PayloadCase.BLOCK_RESPONSE) {
        noteTransfer(r.msg().getBlockResponse());
      }
      if (input instanceof Input.Receive r && r.msg().getPayloadCase() == ConsensusMessage.PayloadCase.PRE_PREPARE) {
        proposedHeight = Math.max(proposedHeight, r.msg().getPrePrepare().getSequence());
      }
      long viewBefore = replica.view();
      boolean changingBefore = replica.isViewChanging();
      Ready ready = replica.step(input);
      if (ready != Ready.EMPTY) {
        readies.add(ready);
        for (Ready.Outbound o : ready.send()) {
          out.add(o);
          if (o.msg().getPayloadCase() == ConsensusMessage.PayloadCase.PRE_PREPARE) {
            proposedHeight = Math.max(proposedHeight, o.msg().getPrePrepare().getSequence());
          }
        }
      }
      for (Ready.Equivocation e : ready.evidence()) {
        LOG.warn("equivocation: leader {} signed two different blocks for view {} sequence {}", e.leader(), e.view(),
            e.sequence());
      }
      noteViewChange(viewBefore, changingBefore);
    }
    Map<ByteString, Optional<ByteString>> changes = new LinkedHashMap<>();
    boolean sync = records(readies, changes);
    java.util.List<Ready.CommittedBlock> committed = fresh(readies);
    release(); // earlier batches whose fsync completed: their messages leave, their blocks join this write
    // With nothing held and nothing to fsync, this batch goes at once (votes GROUP: always).
    boolean inline = sync && held.isEmpty() && proposedHeight - queuedHeight <= inlineInFlightMax && syncer.idle();
    boolean now = held.isEmpty() && (!sync || inline || (changes.isEmpty() && writes <= durable()));
    if (now) {
      toStore.addAll(committed);
    }
    java.util.List<Ready.CommittedBlock> storing = java.util.List.copyOf(toStore);
    toStore.clear();
    java.util.List<BlockCommitter.Committed> done = java.util.List.of();
    boolean together = !storing.isEmpty() && small(storing);
    if (together) {
      // Small blocks: executing them first delays this batch's messages by less than a second write costs.
      done = committer.commitAll(pending(storing), changes, false);
      noteWrite(committer.syncsCommits());
    } else if (!changes.isEmpty()) {
      store.consensusLog().write(changes, Durability.GROUP);
      noteWrite(false);
    }
    if (inline && writes > durable()) {
      walSync.run(); // on this thread: nothing else to do meanwhile (a failure stops the loop, nothing sent)
      writtenDurable = writes;
    }
    if (now) {
      send(out);
    } else if (!out.isEmpty() || !committed.isEmpty()) {
      long write = sync ? writes : 0; // 0: needs no fsync of its own, only its place in the queue
      held.addLast(new Held(out, committed, write));
      if (write > durable()) {
        syncer.request(write);
      }
    }
    if (!together && !storing.isEmpty()) {
      done = committer.commitAll(pending(storing));
      noteWrite(committer.syncsCommits());
    }
    long at = System.nanoTime();
    for (int i = 0; i < done.size(); i++) {
      announce(storing.get(i), done.get(i), at);
    }
  }

  /**
   * A batch waiting for the fsync of write number {@code write} (0: for none of its own) before
   * its messages leave and its committed blocks are stored.
   */
  private record Held(java.util.List<Ready.Outbound> out, java.util.List<Ready.CommittedBlock> blocks, long write) {}

  /** Releases the held batches, oldest first, whose fsync completed: sends their messages, queues their blocks. */
  private void release() {
    long durable = durable();
    while (!held.isEmpty() && held.peekFirst().write() <= durable) {
      Held h = held.pollFirst();
      send(h.out());
      toStore.addAll(h.blocks());
    }
  }

  /** Counts a store write; {@code synced}: it was fsynced itself (blocks with data.sync_commits). */
  private void noteWrite(boolean synced) {
    writes++;
    if (synced) {
      writtenDurable = writes;
    }
  }

  /** True when {@code blocks} are small enough to execute before a batch's messages leave (see the class doc). */
  private static boolean small(java.util.List<Ready.CommittedBlock> blocks) {
    int txs = 0;
    long bytes = 0;
    for (Ready.CommittedBlock c : blocks) {
      txs += c.txs().size();
      for (ParsedTx tx : c.txs()) {
        bytes += tx.envelope().getSerializedSize();
      }
    }
    return txs <= JOINT_WRITE_TXS_MAX && bytes <= JOINT_WRITE_BYTES_MAX;
  }

  private static java.util.List<BlockCommitter.Pending> pending(java.util.List<Ready.CommittedBlock> blocks) {
    java.util.List<BlockCommitter.Pending> p = new java.util.ArrayList<>(blocks.size());
    for (Ready.CommittedBlock c : blocks) {
      p.add(new BlockCommitter.Pending(c.block(), c.txs()));
    }
    return p;
  }

  /**
   * Collects into {@code changes} the records of {@code readies} (the latest record of a key
   * wins, in the order it was decided); true when one of them asks for an fsync before its
   * messages leave ({@link Ready#syncBeforeSend}) and the votes are {@link Durability#SYNC}.
   */
  private boolean records(java.util.List<Ready> readies, Map<ByteString, Optional<ByteString>> changes) {
    boolean sync = false;
    for (Ready ready : readies) {
      sync |= ready.syncBeforeSend();
      for (Ready.Persist p : ready.persist()) {
        changes.remove(p.key());
        changes.put(p.key(), p.isDelete() ? Optional.empty() : Optional.of(p.value()));
      }
    }
    return sync && votes == Durability.SYNC;
  }

  /**
   * Step 2: hand the messages to the transport (never blocks; drops are counted there).
   * Broadcast ForwardRequests are collected into {@code forwards} (one message per batch
   * instead of one per client transaction); the rest leave in order.
   */
  private void send(java.util.List<Ready.Outbound> out) {
    ForwardCoalescer forwards = new ForwardCoalescer(forwardTxsMax, forwardBytesMax,
        m -> transport.broadcast(m.toByteString()));
    for (Ready.Outbound o : out) {
      if (o.to() == Ready.Outbound.BROADCAST
          && o.msg().getPayloadCase() == ConsensusMessage.PayloadCase.FORWARD_REQUEST) {
        forwards.add(o.msg().getForwardRequest());
        continue;
      }
      ByteString bytes = o.msg().toByteString();
      if (o.to() == Ready.Outbound.BROADCAST) {
        transport.broadcast(bytes);
        if (o.msg().getPayloadCase() == ConsensusMessage.PayloadCase.PRE_PREPARE) {
          probe.prePrepareSent(self, o.msg().getPrePrepare().getView(), o.msg().getPrePrepare().getSequence(),
              System.nanoTime());
        }
      } else if (o.to() != self) {
        transport.send(o.to(), bytes);
      }
    }
    forwards.flush();
  }

  /**
   * Merges the broadcast ForwardRequests of one batch into as few messages as the receivers
   * accept (at most {@code txsMax} transactions and about {@code bytesMax} bytes each; one
   * transaction bigger than that still goes, alone). Forwards carry no vote, so sending one a
   * little earlier or later than the other messages of its batch changes only the message count.
   */
  static final class ForwardCoalescer {
    private final int txsMax;
    private final long bytesMax;
    private final java.util.function.Consumer<ConsensusMessage> out;
    private org.fedledger.proto.ForwardRequest.Builder open;
    private long openBytes;

    ForwardCoalescer(int txsMax, long bytesMax, java.util.function.Consumer<ConsensusMessage> out) {
      if (txsMax < 1 || bytesMax < 1) {
        throw new IllegalArgumentException("txsMax and bytesMax must be positive, got " + txsMax + ", " + bytesMax);
      }
      this.txsMax = txsMax;
      this.bytesMax = bytesMax;
      this.out = out;
    }

    /** Adds the transactions of {@code request}, sending a full message first when they do not fit. */
    void add(org.fedledger.proto.ForwardRequest request) {
      for (org.fedledger.proto.Envelope e : request.getTransactionsList()) {
        int size = e.getSerializedSize();
        if (open != null && (open.getTransactionsCount() >= txsMax || openBytes + size > bytesMax)) {
          flush();
        }
        if (open == null) {
          open = org.fedledger.proto.ForwardRequest.newBuilder();
          openBytes = 0;
        }
        open.addTransactions(e);
        openBytes += size;
      }
    }

    /** Sends what was added since the last flush, if anything. */
    void flush() {
      if (open != null && open.getTransactionsCount() > 0) {
        out.accept(ConsensusMessage.newBuilder().setForwardRequest(open).build());
      }
      open = null;
    }
  }

  /**
   * The blocks {@code readies} committed above those already stored, queued or held, in height
   * order; a block already stored (e.g. a replay after restart) is only confirmed to the replica
   * (a follow-up).
   */
  private java.util.List<Ready.CommittedBlock> fresh(java.util.List<Ready> readies) {
    long head = store.head().orElseThrow().height();
    java.util.List<Ready.CommittedBlock> fresh = new java.util.ArrayList<>();
    for (Ready ready : readies) {
      for (Ready.CommittedBlock c : ready.commit()) {
        long height = c.height();
        if (height > head && height <= queuedHeight) {
          continue; // already queued (in this batch or a held one): announced (and confirmed) once stored
        }
        if (height <= head) {
          // Already stored (e.g. a replay after restart): only confirm it.
          followUps.add(new Input.Executed(height, Hash.of(store.block(height).orElseThrow().getCertificate()
              .getBlockHash()), store.stateRootAt(height).orElseThrow()));
          continue;
        }
        if (height != queuedHeight + 1) {
          throw new IllegalStateException("replica committed block " + height + " but the store's head is "
              + head + " with blocks up to " + queuedHeight + " queued to store");
        }
        fresh.add(c);
        queuedHeight = height;
      }
    }
    return fresh;
  }

  /** After the write: counts, logs and announces one stored block and feeds Executed back. */
  private void announce(Ready.CommittedBlock c, BlockCommitter.Committed done, long now) {
    long height = done.height();
    probe.blockStored(self, height, now);
    for (ParsedTx tx : c.txs()) {
      long since = pending.remove(tx.id());
      if (since >= 0) {
        metrics.commitLatency.observe((now - since) / 1e9);
      }
    }
    metrics.blocksCommitted.inc();
    metrics.txsCommitted.inc(c.txs().size());
    if (syncTarget > height) {
      metrics.syncBlocks.inc();
      logSyncProgress(height);
    }
    LOG.debug("committed block {} ({} txs) {}", height, c.txs().size(), done.blockHash().shortHex());
    followUps.add(new Input.Executed(height, done.blockHash(), done.stateRoot()));
    feed.committed(height);
  }

  /**
   * A peer's state-transfer answer: committed blocks from the store (which holds only blocks whose
   * batch was released). It leaves with the messages of its batch, in order.
   */
  private Ready.Outbound serveBlocks(int from, BlockRequest request) {
    long head = store.head().map(h -> h.height()).orElse(-1L);
    BlockResponse.Builder r = BlockResponse.newBuilder().setHeadHeight(Math.max(head, 0));
    int count = Math.min(Math.max(request.getCountMax(), 1), SERVE_BLOCKS_MAX);
    long bytes = 0;
    for (long h = Math.max(request.getFromHeight(), 1); h <= head && r.getBlocksCount() < count; h++) {
      var block = store.block(h).orElseThrow();
      bytes += block.getSerializedSize();
      if (bytes > SERVE_BYTES_MAX && r.getBlocksCount() > 0) {
        break;
      }
      r.addBlocks(block);
    }
    return new Ready.Outbound(from, ConsensusMessage.newBuilder().setBlockResponse(r).build());
  }

  private void noteTransfer(BlockResponse response) {
    if (response.getHeadHeight() > syncTarget) {
      long head = store.head().orElseThrow().height();
      if (response.getHeadHeight() > head + 1 && syncTarget <= head) {
        LOG.info("state transfer: at height {}, peers are at {}", head, response.getHeadHeight());
      }
      syncTarget = response.getHeadHeight();
      metrics.syncTargetHeight.set(syncTarget);
    }
  }

  private void logSyncProgress(long height) {
    long now = System.nanoTime();
    if (now - lastSyncLogNanos > TimeUnit.SECONDS.toNanos(2) || height + 1 >= syncTarget) {
      lastSyncLogNanos = now;
      LOG.info("state transfer: committed {} of {}", height, syncTarget);
    }
  }

  private void noteViewChange(long viewBefore, boolean changingBefore) {
    long view = replica.view();
    boolean changing = replica.isViewChanging();
    if (changing && (!changingBefore || view != viewBefore)) {
      LOG.info("view change: replica {} asks for view {} (leader of view {} made no progress)", self, view,
          viewBefore);
    } else if (!changing && (changingBefore || view != viewBefore)) {
      metrics.newViewsInstalled.inc();
      LOG.info("view change: now in view {}, leader {}", view, replica.leader());
    }
  }

  private void expirePending() {
    long now = System.nanoTime();
    if (now - lastExpiryNanos > TimeUnit.SECONDS.toNanos(10)) {
      lastExpiryNanos = now;
      int n = pending.expire(now - PENDING_TTL_NANOS);
      if (n > 0) {
        LOG.info("forgot {} pending transactions not committed within {} minutes", n,
            TimeUnit.NANOSECONDS.toMinutes(PENDING_TTL_NANOS));
      }
    }
  }

  private void publishStatus() {
    var head = store.head().orElseThrow();
    status = new StatusView(head.height(), head.hash(), store.stateRoot(), replica.view(), replica.leader(),
        replica.isViewChanging(), replica.mempoolSize(), syncTarget);
    metrics.height.set(head.height());
    metrics.view.set(replica.view());
    metrics.leader.set(replica.leader());
    metrics.mempoolSize.set(pending.size());
    if (syncTarget <= head.height()) {
      metrics.syncTargetHeight.set(0);
    }
    for (Map.Entry<ViewChangeCause, Long> c : replica.viewChangeCauses().entrySet()) {
      long before = causesSeen.getOrDefault(c.getKey(), 0L);
      if (c.getValue() > before) {
        metrics.viewChanges.labelValues(c.getKey().label()).inc(c.getValue() - before);
        causesSeen.put(c.getKey(), c.getValue());
      }
    }
    for (Map.Entry<Drop, Long> d : replica.dropCounts().entrySet()) {
      long before = dropsSeen.getOrDefault(d.getKey(), 0L);
      if (d.getValue() > before) {
        metrics.messagesDropped.labelValues(d.getKey().name().toLowerCase(java.util.Locale.ROOT)).inc(d.getValue() - before);
        dropsSeen.put(d.getKey(), d.getValue());
      }
    }
  }
}
