package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedledger.consensus.Ready.CommittedBlock;
import org.fedledger.consensus.Ready.Equivocation;
import org.fedledger.consensus.Ready.Outbound;
import org.fedledger.consensus.Ready.Persist;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.CheckpointCertificate;
import org.fedledger.proto.CheckpointRecord;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.ForwardRequest;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.SlotRecord;
import org.fedledger.proto.Status;
import org.fedledger.proto.ViewRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PBFT replica (Castro and Liskov, OSDI 1999 / TOCS 2002) as a deterministic state machine:
 * {@link #step} consumes one {@link Input} and returns a {@link Ready} of effects. No threads,
 * sockets, clocks, randomness or disk inside; the same inputs give the same outputs, bit for bit.
 *
 * <p>Sequence numbers are block heights. The leader of view v is validator {@code v mod n}. The
 * normal case (§4.2) keeps up to W sequences in flight between the low watermark (the stable
 * checkpoint) and the high watermark; a replica sends COMMIT for a sequence only once it is
 * prepared for every uncommitted sequence below it, so that a commit certificate for a block
 * implies its ancestors were prepared by f+1 honest replicas (what keeps NEW-VIEW's hash chain
 * intact). Checkpoints (§4.3) every K blocks garbage-collect the log. The parts: the normal
 * case in {@link NormalCase}, checkpoints in {@link Checkpoints}, view changes in
 * {@link ViewChanges}, state transfer in {@link StateTransfer}; this class holds the state they
 * share, dispatches inputs, and collects the {@link Ready}.
 *
 * <p><b>Lazy vote sync</b> ({@link ReplicaConfig#lazyVoteSync}; OFF by default and in the node: it keeps
 * agreement but can lose NEW-VIEW liveness, see the consensus README). PRE-PREPARE and PREPARE leave
 * after their records are written but before they are fsynced ({@link Ready#syncBeforeSend}); each
 * leaves only under a durable vote reservation (view, through). Restored without the driver's
 * clean-stop marker ({@link LogKeys#CLEAN_STOP}) in a view it was not changing out of, a replica
 * abstains from PRE-PREPARE and PREPARE of that view up to the reservation
 * ({@link #abstainingThrough}), so it never votes two ways for one view and sequence even after a
 * power failure; COMMIT leaves only after its prepared record is durable, which is what agreement
 * rests on. The argument, with n = 3f+1 quorum intersection, is in the module README.
 *
 * <p>Not thread-safe: one thread owns a replica.
 */
public final class Replica {
  private static final Logger LOG = LoggerFactory.getLogger(Replica.class);

  final ReplicaConfig config;
  final Chain chain;
  final int n;
  final int f;
  final int quorum;
  final int self;
  final Statements statements;
  final ProposalCheck proposals;
  final Mempool pool;
  final NormalCase normal;
  final Checkpoints checkpoints;
  final ViewChanges viewChanges;
  final StateTransfer transfer;

  /** Log entries in (low watermark, high watermark], by sequence. */
  final TreeMap<Long, Slot> slots = new TreeMap<>();
  long view;
  boolean viewChanging;
  ChainHead committedHead;
  long executedHeight;
  Hash executedRoot;
  final TreeMap<Long, Hash> executedRoots = new TreeMap<>();
  CheckpointCertificate stable;
  long ticks;
  long nowMillis;
  long lastProgressTick;
  int timeoutsInARow;
  long lastRetransmitTick;
  long lastStatusTick = Long.MIN_VALUE / 2;
  long commitFrontier;
  final EnumMap<Drop, Long> drops = new EnumMap<>(Drop.class);
  /** Validators caught sending a bad commit signature: their signed commits are verified on receipt. */
  final boolean[] suspects;
  /** The view in which this replica last proposed a block as leader (-1: none since it started). */
  long proposedInView = -1;
  /**
   * The durable vote reservation ({@link LogKeys#RESERVATION}): no PRE-PREPARE or PREPARE of view
   * {@code reservedView} for a sequence above {@code reservedThrough} has left this replica.
   */
  long reservedView = -1;
  long reservedThrough;
  /**
   * After an unclean restart with lazy vote sync: no PRE-PREPARE or PREPARE of view
   * {@code abstainView} at or below {@code abstainThrough} ({@link LogKeys#ABSTAIN}).
   */
  long abstainView = -1;
  long abstainThrough;
  /** Something of this step must be durable before its messages leave (see {@link #drain}). */
  private boolean needSync;
  /** Records were written without fsync since the last synced Ready (lazy vote sync only). */
  private boolean unsynced;

  private ArrayList<Persist> persist = new ArrayList<>();
  /** Counts the persist lists handed out in a Ready: {@link #persist} belongs to Ready number readySerial. */
  private long readySerial;
  /**
   * The sequences whose slot record, certify mark or prepared mark is in the consensus log (or in
   * {@link #persist}): filled at restore from the log's keys, so that garbage collection deletes
   * exactly the records that exist and writes no tombstone for one never written.
   */
  final java.util.TreeSet<Long> loggedSlots = new java.util.TreeSet<>();
  final java.util.TreeSet<Long> loggedCertify = new java.util.TreeSet<>();
  final java.util.TreeSet<Long> loggedPrepared = new java.util.TreeSet<>();
  private ArrayList<Outbound> send = new ArrayList<>();
  private ArrayList<CommittedBlock> commits = new ArrayList<>();
  private ArrayList<Equivocation> evidence = new ArrayList<>();
  /** Most transactions one FORWARD_REQUEST may carry (a driver may coalesce many clients' requests). */
  public static final int FORWARD_TXS_MIN_CAP = 1024;

  /** The most transactions a peer's FORWARD_REQUEST may carry under {@code config}: more is malformed. */
  public static int forwardTxsMax(ReplicaConfig config) {
    return Math.max(config.blockTxMax(), FORWARD_TXS_MIN_CAP);
  }

  private final ArrayList<ParsedTx> forwardBuffer = new ArrayList<>();

  private Replica(ReplicaConfig config, ChainHead head, Hash stateRoot) {
    this.config = config.validate();
    this.chain = config.chain();
    this.n = config.n();
    this.f = config.f();
    this.quorum = config.quorum();
    this.self = config.self();
    this.statements = new Statements(chain);
    this.proposals = new ProposalCheck(chain);
    this.pool = new Mempool(config.mempoolTxMax());
    this.committedHead = head;
    this.executedHeight = head.height();
    this.executedRoot = stateRoot;
    this.executedRoots.put(head.height(), stateRoot);
    this.stable = CheckpointCertificate.newBuilder().setSequence(0).build();
    this.commitFrontier = head.height();
    this.suspects = new boolean[n];
    this.normal = new NormalCase(this);
    this.checkpoints = new Checkpoints(this);
    this.viewChanges = new ViewChanges(this);
    this.transfer = new StateTransfer(this);
  }

  /**
   * A replica with an empty consensus log whose ledger's committed head is {@code head} with
   * state root {@code stateRoot} (the genesis block and genesis state on a new chain).
   */
  public static Replica create(ReplicaConfig config, ChainHead head, Hash stateRoot) {
    return new Replica(config, head, stateRoot);
  }

  /**
   * Rebuilds a replica after a restart from the records it asked to persist (every entry of the
   * consensus log under {@link LogKeys#PREFIX}) and the ledger's committed head and state root.
   *
   * @throws IllegalArgumentException if a record cannot be parsed (a corrupt log)
   */
  public static Replica restore(ReplicaConfig config, ChainHead head, Hash stateRoot,
      List<Map.Entry<ByteString, ByteString>> records) {
    Replica r = new Replica(config, head, stateRoot);
    try {
      r.load(records);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("corrupt consensus log: " + e.getMessage(), e);
    }
    return r;
  }

  /**
   * As {@link #restore(ReplicaConfig, ChainHead, Hash, List)}, with {@code committedTx} telling
   * whether the ledger store already holds a transaction id, so that a restarted replica neither
   * re-proposes nor accepts a block with a transaction committed before the restart (the node
   * passes {@code id -> store.txLocation(id).isPresent()}).
   */
  public static Replica restore(ReplicaConfig config, ChainHead head, Hash stateRoot,
      List<Map.Entry<ByteString, ByteString>> records, java.util.function.Predicate<Hash> committedTx) {
    Replica r = restore(config, head, stateRoot, records);
    r.pool.stored = committedTx;
    return r;
  }

  /** As {@link #create(ReplicaConfig, ChainHead, Hash)}, with the store's committed-transaction lookup. */
  public static Replica create(ReplicaConfig config, ChainHead head, Hash stateRoot,
      java.util.function.Predicate<Hash> committedTx) {
    Replica r = create(config, head, stateRoot);
    r.pool.stored = committedTx;
    return r;
  }

  private void load(List<Map.Entry<ByteString, ByteString>> records) throws InvalidProtocolBufferException {
    TreeMap<Long, Long> certifyViews = new TreeMap<>();
    TreeMap<Long, ByteString> preparedMarks = new TreeMap<>();
    boolean clean = false;
    long[] abstained = null;
    for (Map.Entry<ByteString, ByteString> e : records) {
      ByteString key = e.getKey();
      if (key.equals(LogKeys.RESERVATION)) {
        long[] v = viewAndSequence(e.getValue(), "reservation");
        reservedView = v[0];
        reservedThrough = v[1];
      } else if (key.equals(LogKeys.ABSTAIN)) {
        abstained = viewAndSequence(e.getValue(), "abstention");
      } else if (key.equals(LogKeys.CLEAN_STOP)) {
        clean = true;
      } else if (key.startsWith(LogKeys.CERTIFY_PREFIX)) {
        if (key.size() != LogKeys.CERTIFY_PREFIX.size() + 8 || e.getValue().size() != 8) {
          throw new InvalidProtocolBufferException("corrupt certify mark");
        }
        long s = LogKeys.sequenceAfter(LogKeys.CERTIFY_PREFIX, key);
        certifyViews.put(s, e.getValue().asReadOnlyByteBuffer().getLong());
        loggedCertify.add(s);
      } else if (key.startsWith(LogKeys.PREPARED_PREFIX)) {
        if (key.size() != LogKeys.PREPARED_PREFIX.size() + 8 || e.getValue().size() != 40) {
          throw new InvalidProtocolBufferException("corrupt prepared mark");
        }
        long s = LogKeys.sequenceAfter(LogKeys.PREPARED_PREFIX, key);
        preparedMarks.put(s, e.getValue());
        loggedPrepared.add(s);
      } else if (key.equals(LogKeys.VIEW)) {
        ViewRecord v = ViewRecord.parseFrom(e.getValue());
        view = v.getView();
        viewChanging = v.getViewChanging();
      } else if (key.equals(LogKeys.CHECKPOINT)) {
        stable = CheckpointRecord.parseFrom(e.getValue()).getCertificate();
      }
    }
    restartDiscipline(clean, abstained);
    for (Map.Entry<ByteString, ByteString> e : records) {
      if (e.getKey().startsWith(LogKeys.SLOT_PREFIX) && e.getKey().size() == LogKeys.SLOT_PREFIX.size() + 8) {
        SlotRecord r = SlotRecord.parseFrom(e.getValue());
        long s = LogKeys.slotSequence(e.getKey());
        if (r.getSequence() != s) {
          throw new InvalidProtocolBufferException("slot record " + r.getSequence() + " under the key of " + s);
        }
        loggedSlots.add(s);
        restoreSlot(r, certifyViews, preparedMarks.get(s));
      }
    }
    for (long s : preparedMarks.keySet()) {
      if (s > low() && s <= high() && !loggedSlots.contains(s)) {
        LOG.warn("replica {}: prepared mark {} without its slot record, ignored (a lost unsynced write)", self, s);
      }
    }
    commitFrontier = committedHead.height();
    viewChanges.restored();
    LOG.info("replica {} restored: view {}{}, committed {}, stable checkpoint {}, {} log entries{}", self, view,
        viewChanging ? " (changing)" : "", committedHead.height(), low(), slots.size(),
        abstainView == view ? "; abstains from votes of view " + view + " up to sequence " + abstainThrough : "");
  }

  private static long[] viewAndSequence(ByteString value, String what) throws InvalidProtocolBufferException {
    if (value.size() != 16) {
      throw new InvalidProtocolBufferException("corrupt " + what + " record");
    }
    java.nio.ByteBuffer b = value.asReadOnlyByteBuffer();
    return new long[] {b.getLong(), b.getLong()};
  }

  /**
   * The restart rule of lazy vote sync. A clean stop left the marker: every record of every
   * message sent is durable; the marker is deleted (synced) before anything leaves, so a later
   * crash is not taken for a clean stop. Without it, a power failure may have lost the records of
   * PRE-PREPAREs and PREPAREs sent in the current view, all at or below the durable reservation:
   * the replica abstains from those sequences of this view (recorded, synced, and honoured by
   * later restarts, clean or not). A replica restored in the middle of a view change sent nothing
   * of its view yet (entering a view is synced before its first vote), so it abstains from nothing.
   */
  private void restartDiscipline(boolean clean, long[] abstained) {
    if (abstained != null) {
      abstainView = abstained[0];
      abstainThrough = abstained[1];
    }
    if (clean) {
      persist.add(new Persist(LogKeys.CLEAN_STOP, null));
      needSync = true;
      return;
    }
    if (!config.lazyVoteSync() || viewChanging || reservedView != view) {
      return; // every vote was synced before it left, or none was cast in this view
    }
    long through = Math.max(reservedThrough, abstainView == view ? abstainThrough : 0);
    if (abstainView != view || through > abstainThrough) {
      abstainView = view;
      abstainThrough = through;
      persist.add(new Persist(LogKeys.ABSTAIN, LogKeys.viewAndSequence(view, through)));
      needSync = true;
    }
  }

  /**
   * Restores one slot from its record and, when there is one, its prepared mark (written after the
   * record: {@link LogKeys#PREPARED_PREFIX}). A mark always names the block and view of the record it
   * was written over; one that does not (or has no record) can only be left by a lost unsynced write
   * of that record (the simulator loses unsynced batches one by one; a write-ahead log keeps a
   * prefix, where this cannot happen), and is ignored as if it had been lost with it: it was not
   * synced either, so no COMMIT rests on it.
   */
  private void restoreSlot(SlotRecord r, TreeMap<Long, Long> certifyViews, ByteString preparedMark) {
    long s = r.getSequence();
    if (s <= low() || s > high()) {
      return;
    }
    Slot slot = slot(s);
    if (r.hasBlock()) {
      BlockHeader h = ProposalCheck.header(r.getBlock());
      List<ParsedTx> txs = proposals.parseTxs(r.getBlock(), false, id -> null);
      if (h == null || txs == null) {
        throw new IllegalArgumentException("corrupt slot record " + s);
      }
      PrePrepare pp = r.getProposalSignature().isEmpty() ? null : PrePrepare.newBuilder()
          .setView(r.getPrePreparedView()).setSequence(s).setBlock(r.getBlock())
          .setSignature(r.getProposalSignature()).build();
      Long certifyView = certifyViews.get(s);
      boolean certify = certifyView != null && certifyView == r.getPrePreparedView();
      slot.accept(r.getPrePreparedView(), r.getBlock(), h, Blocks.hash(r.getBlock()), txs,
          pp == null ? null : pp.toBuilder().setCertify(certify).build(), certify);
    }
    Long certifyLogged = certifyViews.get(s);
    slot.certifyPersistedView = certifyLogged != null ? certifyLogged : -1; // what the log holds, as before the restart
    for (org.fedledger.proto.PrePreparedEntry q : r.getPrePreparedList()) {
      slot.notePrePrepared(Hash.of(q.getBlockHash()), q.getView());
    }
    // Its own PREPARE of the restored block, unless it may not have sent one: abstaining, an entry at or
    // below the stored head (a state-transfer fix-up), or another block pre-prepared in this view first.
    if (r.hasBlock() && r.getPrePreparedView() == view && self != leader(view) && mayVote(s)
        && s > committedHead.height() && !slot.prePreparedOtherIn(view, slot.hash)) {
      slot.votesFor(view);
      slot.prepares[self] = slot.hash;
      slot.prepareCertify[self] = slot.certify;
    }
    if (r.getPrepared()) {
      slot.preparedView = r.getPreparedView();
      slot.preparedHash = Hash.of(r.getPreparedHash());
      slot.preparedBlock = r.hasPreparedBlock() ? r.getPreparedBlock() : slot.block;
    }
    slot.loggedView = r.hasBlock() ? r.getPrePreparedView() : -1;
    slot.loggedHash = r.hasBlock() ? slot.hash : null;
    if (preparedMark != null) {
      java.nio.ByteBuffer b = preparedMark.asReadOnlyByteBuffer();
      long markView = b.getLong();
      ByteString markHash = preparedMark.substring(8);
      if (r.hasBlock() && markView == r.getPrePreparedView() && markHash.equals(slot.hash.bytes())) {
        slot.preparedView = markView;
        slot.preparedHash = slot.hash;
        slot.preparedBlock = slot.block;
      } else {
        LOG.warn("replica {}: prepared mark {} names another block or view than its slot record, ignored"
            + " (a lost unsynced write)", self, s);
      }
    }
    if (s <= committedHead.height()) {
      slot.committed = true;
    }
  }

  // ---------------------------------------------------------------- step

  /** Consumes one input; the only mutator. Never throws on bad peer input (it is dropped and counted). */
  public Ready step(Input input) {
    if (input instanceof Input.Receive r) {
      onReceive(r.from(), r.msg());
    } else if (input instanceof Input.Request q) {
      onRequest(q.tx());
    } else if (input instanceof Input.Tick t) {
      onTick(t.nowMillis());
    } else if (input instanceof Input.Executed e) {
      checkpoints.onExecuted(e);
    } else {
      throw new AssertionError("unknown input " + input);
    }
    normal.maybePropose();
    flushForwards();
    return drain();
  }

  private Ready drain() {
    boolean sync;
    if (config.lazyVoteSync()) {
      // A sync makes every earlier write durable too: with nothing written since the last one, none is needed.
      sync = needSync && (unsynced || !persist.isEmpty());
      unsynced = !sync && (unsynced || !persist.isEmpty());
    } else {
      sync = !persist.isEmpty();
    }
    needSync = false;
    if (persist.isEmpty() && send.isEmpty() && commits.isEmpty() && evidence.isEmpty() && !sync) {
      return Ready.EMPTY;
    }
    Ready r = new Ready(persist, send, commits, evidence, sync);
    persist = new ArrayList<>();
    readySerial++;
    send = new ArrayList<>();
    commits = new ArrayList<>();
    evidence = new ArrayList<>();
    return r;
  }

  private void onReceive(int from, ConsensusMessage msg) {
    if (from < 0 || from >= n || from == self) {
      drop(Drop.MALFORMED, from, "sender out of range");
      return;
    }
    try {
      switch (msg.getPayloadCase()) {
        case PRE_PREPARE -> normal.onPrePrepare(from, msg.getPrePrepare());
        case PREPARE -> normal.onPrepare(from, msg.getPrepare());
        case COMMIT -> normal.onCommit(from, msg.getCommit());
        case CHECKPOINT -> checkpoints.onCheckpoint(from, msg.getCheckpoint());
        case VIEW_CHANGE -> viewChanges.onViewChange(from, msg.getViewChange());
        case NEW_VIEW -> viewChanges.onNewView(from, msg.getNewView());
        case BLOCK_REQUEST -> drop(Drop.MALFORMED, from, "block requests are served by the driver");
        case BLOCK_RESPONSE -> transfer.onResponse(from, msg.getBlockResponse());
        case FORWARD_REQUEST -> onForward(from, msg.getForwardRequest());
        case STATUS -> onStatus(from, msg.getStatus());
        case VIEW_CHANGE_BLOCK_REQUEST -> viewChanges.onBlockRequest(from, msg.getViewChangeBlockRequest());
        case VIEW_CHANGE_BLOCK -> viewChanges.onBlock(from, msg.getViewChangeBlock());
        case PAYLOAD_NOT_SET -> drop(Drop.MALFORMED, from, "no payload");
      }
    } catch (IllegalArgumentException malformed) {
      drop(Drop.MALFORMED, from, String.valueOf(malformed.getMessage()));
    }
  }

  // ---------------------------------------------------------------- client requests

  private void onRequest(ParsedTx tx) {
    switch (pool.add(tx, ticks)) {
      case ADDED -> forwardBuffer.add(tx);
      case KNOWN -> count(Drop.DUPLICATE);
      case FULL -> count(Drop.MEMPOOL_FULL);
    }
  }

  private void flushForwards() {
    if (forwardBuffer.isEmpty()) {
      return;
    }
    ForwardRequest.Builder b = ForwardRequest.newBuilder();
    for (ParsedTx t : forwardBuffer) {
      b.addTransactions(t.envelope());
    }
    forwardBuffer.clear();
    broadcast(ConsensusMessage.newBuilder().setForwardRequest(b).build());
  }

  private void onForward(int from, ForwardRequest fr) {
    if (fr.getTransactionsCount() > forwardTxsMax(config)) {
      drop(Drop.MALFORMED, from, fr.getTransactionsCount() + " forwarded transactions in one message");
      return;
    }
    for (org.fedledger.proto.Envelope e : fr.getTransactionsList()) {
      Hash id = Hash.sha256(e.getBody());
      if (pool.isKnown(id)) {
        continue;
      }
      var check = proposals.parseTxs(org.fedledger.proto.Block.newBuilder().addTransactions(e).build(), true, x -> null);
      if (check == null) {
        drop(Drop.INVALID_TX, from, "forwarded transaction fails validation");
        continue;
      }
      if (pool.add(check.get(0), ticks) == Mempool.Added.FULL) {
        count(Drop.MEMPOOL_FULL);
      }
    }
  }


  /** Hands a committed block to the driver and moves the committed head. */
  void emit(CertifiedBlock block, List<ParsedTx> txs, ChainHead head) {
    Invariants.check(head.height() == committedHead.height() + 1, "commit out of order");
    commits.add(new CommittedBlock(block, txs));
    committedHead = head;
    pool.committed(txs, head.height());
    Slot s = slots.get(head.height());
    if (s != null) {
      s.committed = true;
    }
    progress();
  }

  /** Adds a message to this step's Ready. */
  void out(Outbound o) {
    send.add(o);
  }

  /** Adds a consensus-log change to this step's Ready. */
  void persistOp(Persist p) {
    persist.add(p);
  }

  /** This step sends a message whose justification must be durable first (COMMIT, VIEW-CHANGE, NEW-VIEW). */
  void requireSync() {
    needSync = true;
  }

  /**
   * False when this replica must not send a PRE-PREPARE or PREPARE of the current view for
   * {@code sequence}: it restarted uncleanly and may have forgotten one it sent.
   */
  boolean mayVote(long sequence) {
    return abstainView != view || sequence > abstainThrough;
  }

  /**
   * Call before sending a PRE-PREPARE or PREPARE of the current view for {@code sequence}: when
   * the durable reservation does not cover it, a new one (reaching one log window further) is
   * written and this Ready is synced, so every vote sent is at or below a durable reservation.
   */
  void reserve(long sequence) {
    if (reservedView == view && sequence <= reservedThrough) {
      return;
    }
    reservedView = view;
    reservedThrough = Math.max(sequence, high()) + config.logBlocks();
    persist.add(new Persist(LogKeys.RESERVATION, LogKeys.viewAndSequence(reservedView, reservedThrough)));
    needSync = true;
  }

  /** Adds equivocation evidence to this step's Ready. */
  void addEvidence(Equivocation e) {
    evidence.add(e);
  }

  void becomeStable(CheckpointCertificate cert) {
    checkpoints.becomeStable(cert);
  }

  void maybePrepared(Slot slot) {
    normal.maybePrepared(slot);
  }

  void afterTransfer() {
    normal.afterTransfer();
  }

  void progress() {
    lastProgressTick = ticks;
    timeoutsInARow = 0;
  }

  // ---------------------------------------------------------------- time

  private void onTick(long now) {
    ticks++;
    nowMillis = now;
    if (!hasPendingWork()) {
      lastProgressTick = ticks;
    }
    if (ticks - lastStatusTick >= config.statusIntervalTicks()) {
      lastStatusTick = ticks;
      broadcast(ConsensusMessage.newBuilder().setStatus(status()).build());
    }
    if (ticks - lastRetransmitTick >= config.retransmitTicks()) {
      lastRetransmitTick = ticks;
      retransmit();
    }
    transfer.onTick();
    viewChanges.onTick();
  }

  Status status() {
    return Status.newBuilder().setView(view).setCommittedHeight(committedHead.height()).setStableCheckpoint(stable)
        .build();
  }

  boolean hasPendingWork() {
    if (!pool.isEmpty()) {
      return true;
    }
    for (Slot s : slots.tailMap(committedHead.height(), false).values()) {
      if (s.block != null && !s.committed) {
        return true;
      }
    }
    return false;
  }

  /** The current view-change timeout: doubled after each timeout in a row, capped. */
  long timeoutTicks() {
    long t = config.viewChangeTimeoutTicks();
    for (int i = 0; i < timeoutsInARow && t < config.viewChangeTimeoutMaxTicks(); i++) {
      t *= 2;
    }
    return Math.min(t, config.viewChangeTimeoutMaxTicks());
  }

  private void retransmit() {
    if (viewChanging) {
      viewChanges.retransmit();
      return;
    }
    if (checkpoints.ownCheckpoint != null) {
      send.add(checkpoints.ownCheckpoint);
    }
    if (!hasPendingWork() || lastProgressTick > ticks - config.retransmitTicks()) {
      return; // nothing outstanding, or it is moving: votes are not lost
    }
    boolean leader = self == leader(view);
    for (Slot s : slots.tailMap(committedHead.height() - config.windowBlocks(), false).values()) {
      if (s.sequence <= low() || s.voteView != view || !s.hasPrePrepare(view)) {
        continue;
      }
      boolean voting = mayVote(s.sequence); // abstaining: not even a restored vote is sent again
      if (voting && leader && s.prePrepare != null) {
        broadcast(ConsensusMessage.newBuilder().setPrePrepare(s.prePrepare).build());
      } else if (voting && !leader && s.prepares[self] != null) { // the vote it sent, whatever the slot holds now
        broadcast(normal.prepareMessage(s));
      }
      if (s.commitSent) {
        broadcast(normal.commitMessage(s));
      }
    }
    if (!leader) {
      List<ParsedTx> old = pool.availableOlderThan(ticks - config.retransmitTicks(), config.blockTxMax());
      if (!old.isEmpty()) {
        ForwardRequest.Builder b = ForwardRequest.newBuilder();
        old.forEach(t -> b.addTransactions(t.envelope()));
        send.add(new Outbound(leader(view), ConsensusMessage.newBuilder().setForwardRequest(b).build()));
        pool.touch(old, ticks);
      }
    }
  }

  private void onStatus(int from, Status st) {
    transfer.hint(from, st.getCommittedHeight());
    if (st.hasStableCheckpoint() && st.getStableCheckpoint().getSequence() > low()
        && st.getStableCheckpoint().getSequence() > committedHead.height()) {
      transfer.offerCheckpoint(from, st.getStableCheckpoint());
    }
    if (st.getView() < view && !viewChanging) {
      viewChanges.hintLaggard(from);
    }
  }

  // ---------------------------------------------------------------- helpers shared with ViewChanges / StateTransfer

  int leader(long v) {
    return (int) Long.remainderUnsigned(v, n);
  }

  long low() {
    return stable.getSequence();
  }

  long high() {
    return low() + config.logBlocks();
  }

  Slot slot(long s) {
    return slots.computeIfAbsent(s, x -> new Slot(s, n));
  }

  /**
   * Writes the whole slot record (the block, the PRE-PREPARE's view and signature, Q, the prepared
   * state). A record already in this step's persist list is replaced in place (one atomic batch);
   * a prepared mark in the log is deleted, since this record now holds the newer prepared state.
   */
  void persistSlot(Slot slot) {
    Persist record = new Persist(LogKeys.slot(slot.sequence), slot.toRecord().toByteString());
    if (slot.recordReady == readySerial && slots.get(slot.sequence) == slot) {
      persist.set(slot.recordIndex, record);
    } else {
      slot.recordReady = readySerial;
      slot.recordIndex = persist.size();
      persist.add(record);
    }
    loggedSlots.add(slot.sequence);
    slot.loggedView = slot.block != null ? slot.ppView : -1;
    slot.loggedHash = slot.block != null ? slot.hash : null;
    if (loggedPrepared.remove(slot.sequence)) {
      persist.add(new Persist(LogKeys.prepared(slot.sequence), null));
    }
    if (slot.block != null && slot.certify && slot.certifyPersistedView != slot.ppView) {
      // SlotRecord has no field for it: a restarted replica must sign its COMMIT as its peers do.
      persist.add(new Persist(LogKeys.certify(slot.sequence),
          ByteString.copyFrom(java.nio.ByteBuffer.allocate(8).putLong(slot.ppView).array())));
      slot.certifyPersistedView = slot.ppView;
      loggedCertify.add(slot.sequence);
    }
  }

  /**
   * Persists that {@code slot} became prepared for its accepted block in its PRE-PREPARE's view
   * (the normal case). When the slot record in the log holds that block in that view, only a
   * prepared mark (62 bytes) is written, not the block again; when the record is still in this
   * step's persist list, it is rewritten in place; otherwise the whole record.
   */
  void persistPrepared(Slot slot) {
    Invariants.check(slot.block != null && slot.preparedView == slot.ppView && slot.hash.equals(slot.preparedHash),
        "a prepared mark names the accepted block");
    boolean pending = slot.recordReady == readySerial && slots.get(slot.sequence) == slot;
    if (!pending && slot.loggedView == slot.ppView && slot.hash.equals(slot.loggedHash)) {
      persist.add(new Persist(LogKeys.prepared(slot.sequence), LogKeys.viewAndHash(slot.preparedView,
          slot.preparedHash.bytes())));
      loggedPrepared.add(slot.sequence);
    } else {
      persistSlot(slot);
    }
  }

  /** Deletes the log entries of every sequence at or below {@code sequence} (garbage collection). */
  void forgetThrough(long sequence) {
    forget(loggedSlots, sequence, LogKeys::slot);
    forget(loggedPrepared, sequence, LogKeys::prepared);
    forget(loggedCertify, sequence, LogKeys::certify);
  }

  private void forget(java.util.TreeSet<Long> logged, long through, java.util.function.LongFunction<ByteString> key) {
    java.util.NavigableSet<Long> gone = logged.headSet(through, true);
    for (long s : gone) {
      persist.add(new Persist(key.apply(s), null));
    }
    gone.clear();
  }

  /** Persists the view record; synced: a VIEW-CHANGE, NEW-VIEW or vote of the view may follow. */
  void persistView() {
    persist.add(new Persist(LogKeys.VIEW, ViewRecord.newBuilder().setView(view).setViewChanging(viewChanging)
        .build().toByteString()));
    needSync = true;
  }

  void broadcast(ConsensusMessage msg) {
    send.add(new Outbound(Outbound.BROADCAST, msg));
  }

  void sendTo(int to, ConsensusMessage msg) {
    send.add(new Outbound(to, msg));
  }

  void count(Drop reason) {
    drops.merge(reason, 1L, Long::sum);
  }

  void drop(Drop reason, int from, String why) {
    count(reason);
    if (LOG.isDebugEnabled()) {
      LOG.debug("replica {} dropped a message from {}: {} ({})", self, from, reason, why);
    }
  }

  // ---------------------------------------------------------------- observation

  /**
   * The highest sequence of the current view this replica abstains from voting for after an
   * unclean restart, or -1 when it abstains from nothing.
   */
  public long abstainingThrough() {
    return abstainView == view ? abstainThrough : -1;
  }

  /** The current view. */
  public long view() {
    return view;
  }

  /** True while the replica is changing to {@link #view()}. */
  public boolean isViewChanging() {
    return viewChanging;
  }

  /** The leader of the current view. */
  public int leader() {
    return leader(view);
  }

  /** The committed head (the newest block handed to the driver). */
  public ChainHead committedHead() {
    return committedHead;
  }

  /** The newest executed height the driver reported. */
  public long executedHeight() {
    return executedHeight;
  }

  /** The stable checkpoint (the low watermark). */
  public CheckpointCertificate stableCheckpoint() {
    return stable;
  }

  /** Pending client transactions. */
  public int mempoolSize() {
    return pool.size();
  }

  /** Dropped inputs by reason (a copy). */
  public Map<Drop, Long> dropCounts() {
    return Collections.unmodifiableMap(new EnumMap<>(drops));
  }

  /** View changes this replica started, by cause (the sum is {@link #viewChangesStarted()}). */
  public Map<ViewChangeCause, Long> viewChangeCauses() {
    return viewChanges.causes();
  }

  /** View changes this replica started (timeouts and joins). */
  public long viewChangesStarted() {
    return viewChanges.viewChangesStarted();
  }

  /** NEW-VIEWs this replica installed. */
  public long newViewsInstalled() {
    return viewChanges.newViewsInstalled();
  }

  /** Blocks this replica fetched from peers for a view change (named by a VIEW-CHANGE or NEW-VIEW). */
  public long viewChangeBlocksFetched() {
    return viewChanges.blocksFetched();
  }

  /** Blocks this replica served to peers for their view changes. */
  public long viewChangeBlocksServed() {
    return viewChanges.blocksServed();
  }

  /** Blocks this replica committed through state transfer. */
  public long transferredBlocks() {
    return transfer.blocksFetched();
  }

  /**
   * State-transfer responses accepted on f+1 peers serving the same blocks rather than on a
   * certificate (blocks above the newest certified one).
   */
  public long transfersOnMatchingPeers() {
    return transfer.weaklyAnchored();
  }

  /** State transfers that fetched blocks and then caught up with every peer. */
  public long transfersCompleted() {
    return transfer.transfersCompleted();
  }

  /** Of {@link #transfersCompleted()}: those that went on after a serving peer stopped answering. */
  public long transfersCompletedAfterPeerLoss() {
    return transfer.completedAfterPeerLoss();
  }

  /** The current view-change timeout in ticks (back-off included). */
  public long viewChangeTimeoutTicks() {
    return timeoutTicks();
  }

  /** The peer this replica is fetching blocks from, or -1 when it is not transferring state. */
  public int transferPeer() {
    return transfer.peer();
  }

  /** Number of log entries held (bounded by the watermarks). */
  public int logSize() {
    return slots.size();
  }

  @Override
  public String toString() {
    return "Replica[" + self + " view=" + view + (viewChanging ? "(changing)" : "") + " committed="
        + committedHead.height() + " executed=" + executedHeight + " stable=" + low() + "]";
  }
}
