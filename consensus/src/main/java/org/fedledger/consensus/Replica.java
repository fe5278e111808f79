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
import org.fedledger.proto.Commit;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.ForwardRequest;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.Prepare;
import org.fedledger.proto.SlotRecord;
import org.fedledger.proto.Status;
import org.fedledger.proto.ValidatorSignature;
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
 * intact). Checkpoints (§4.3) every K blocks garbage-collect the log. View changes are in
 * {@link ViewChanges}, state transfer in {@link StateTransfer}.
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
  final TreeMap<Long, CheckpointVotes> checkpointVotes = new TreeMap<>();
  Ready.Outbound ownCheckpoint;
  long ticks;
  long nowMillis;
  long lastProgressTick;
  int timeoutsInARow;
  long lastRetransmitTick;
  long lastStatusTick = Long.MIN_VALUE / 2;
  long commitFrontier;
  final EnumMap<Drop, Long> drops = new EnumMap<>(Drop.class);
  /** Validators caught sending a bad commit signature: their commits are always verified. */
  final boolean[] suspects;
  static final int COMMIT_SAMPLE_PERIOD = 16;

  private ArrayList<Persist> persist = new ArrayList<>();
  private ArrayList<Outbound> send = new ArrayList<>();
  private ArrayList<CommittedBlock> commits = new ArrayList<>();
  private ArrayList<Equivocation> evidence = new ArrayList<>();
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
    for (Map.Entry<ByteString, ByteString> e : records) {
      ByteString key = e.getKey();
      if (key.equals(LogKeys.VIEW)) {
        ViewRecord v = ViewRecord.parseFrom(e.getValue());
        view = v.getView();
        viewChanging = v.getViewChanging();
      } else if (key.equals(LogKeys.CHECKPOINT)) {
        stable = CheckpointRecord.parseFrom(e.getValue()).getCertificate();
      }
    }
    for (Map.Entry<ByteString, ByteString> e : records) {
      if (e.getKey().startsWith(LogKeys.SLOT_PREFIX) && !e.getKey().equals(LogKeys.VIEW)
          && e.getKey().size() == LogKeys.SLOT_PREFIX.size() + 8) {
        restoreSlot(SlotRecord.parseFrom(e.getValue()));
      }
    }
    commitFrontier = committedHead.height();
    viewChanges.restored();
    LOG.info("replica {} restored: view {}{}, committed {}, stable checkpoint {}, {} log entries", self, view,
        viewChanging ? " (changing)" : "", committedHead.height(), low(), slots.size());
  }

  private void restoreSlot(SlotRecord r) {
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
      slot.accept(r.getPrePreparedView(), r.getBlock(), h, Blocks.hash(r.getBlock()), txs, pp);
      if (r.getPrePreparedView() == view && self != leader(view)) {
        slot.votesFor(view);
        slot.prepares[self] = slot.hash;
      }
    }
    for (org.fedledger.proto.PrePreparedEntry q : r.getPrePreparedList()) {
      slot.notePrePrepared(Hash.of(q.getBlockHash()), q.getView());
    }
    if (r.getPrepared()) {
      slot.preparedView = r.getPreparedView();
      slot.preparedHash = Hash.of(r.getPreparedHash());
      slot.preparedBlock = r.hasPreparedBlock() ? r.getPreparedBlock() : slot.block;
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
      onExecuted(e);
    } else {
      throw new AssertionError("unknown input " + input);
    }
    maybePropose();
    flushForwards();
    return drain();
  }

  private Ready drain() {
    if (persist.isEmpty() && send.isEmpty() && commits.isEmpty() && evidence.isEmpty()) {
      return Ready.EMPTY;
    }
    Ready r = new Ready(persist, send, commits, evidence);
    persist = new ArrayList<>();
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
        case PRE_PREPARE -> onPrePrepare(from, msg.getPrePrepare());
        case PREPARE -> onPrepare(from, msg.getPrepare());
        case COMMIT -> onCommit(from, msg.getCommit());
        case CHECKPOINT -> onCheckpoint(from, msg.getCheckpoint());
        case VIEW_CHANGE -> viewChanges.onViewChange(from, msg.getViewChange());
        case NEW_VIEW -> viewChanges.onNewView(from, msg.getNewView());
        case BLOCK_REQUEST -> drop(Drop.MALFORMED, from, "block requests are served by the driver");
        case BLOCK_RESPONSE -> transfer.onResponse(from, msg.getBlockResponse());
        case FORWARD_REQUEST -> onForward(from, msg.getForwardRequest());
        case STATUS -> onStatus(from, msg.getStatus());
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

  // ---------------------------------------------------------------- normal case: leader

  private void maybePropose() {
    if (viewChanging || self != leader(view) || pool.availableCount() == 0 || !viewChanges.readyToPropose()) {
      return;
    }
    while (pool.availableCount() > 0) {
      long last = lastPrePrepared();
      long next = last + 1;
      if (next > committedHead.height() + config.windowBlocks() || next > high() || next <= low()) {
        return;
      }
      ChainHead parent = parentOf(next);
      if (parent == null) {
        return;
      }
      if (pool.availableCount() < config.blockTxMax() && config.proposeDelayTicks() > 0
          && ticks - pool.oldestAvailableTick() < config.proposeDelayTicks()) {
        return;
      }
      List<ParsedTx> txs = pool.take(config.blockTxMax(), config.blockBytesMax());
      if (txs.isEmpty()) {
        return;
      }
      long ts = Math.max(nowMillis, parent.timestampMillis());
      Block block = Blocks.build(chain, parent, txs, executedRoot, executedHeight, self, view, ts);
      Hash hash = Blocks.hash(block);
      ByteString sig = config.keys().sign(statements.proposal(view, next, hash.bytes()));
      PrePrepare pp = PrePrepare.newBuilder().setView(view).setSequence(next).setBlock(block).setSignature(sig).build();
      BlockHeader header = ProposalCheck.header(block);
      Slot slot = slot(next);
      slot.votesFor(view);
      slot.accept(view, block, header, hash, txs, pp);
      persistSlot(slot);
      broadcast(ConsensusMessage.newBuilder().setPrePrepare(pp).build());
      maybePrepared(slot);
    }
  }

  /** Highest sequence with a PRE-PREPARE of the current view, or the committed head. */
  long lastPrePrepared() {
    long last = committedHead.height();
    for (Slot s : slots.tailMap(last, false).values()) {
      if (s.hasPrePrepare(view) && s.sequence == last + 1) {
        last = s.sequence;
      } else {
        break;
      }
    }
    return last;
  }

  // ---------------------------------------------------------------- normal case: backups

  private void onPrePrepare(int from, PrePrepare pp) {
    long v = pp.getView();
    long s = pp.getSequence();
    if (!normalCaseView(from, v)) {
      return;
    }
    if (from != leader(view)) {
      drop(Drop.NOT_LEADER, from, "pre-prepare from a backup");
      return;
    }
    if (s <= committedHead.height() || s <= low() || s > high()) {
      drop(Drop.OUT_OF_WINDOW, from, "pre-prepare " + s);
      return;
    }
    Slot slot = slot(s);
    Hash hash = Blocks.hash(pp.getBlock());
    if (slot.hasPrePrepare(view)) {
      if (slot.hash.equals(hash)) {
        count(Drop.DUPLICATE);
      } else if (slot.prePrepare != null) {
        equivocation(from, slot.prePrepare, pp);
      } else {
        count(Drop.EQUIVOCATION); // a NEW-VIEW re-proposal holds this slot: the leader contradicts its NEW-VIEW
      }
      return;
    }
    if (slot.pending != null && slot.pending.getView() == view) {
      if (Blocks.hash(slot.pending.getBlock()).equals(hash)) {
        count(Drop.DUPLICATE);
      } else {
        equivocation(from, slot.pending, pp);
      }
      return;
    }
    ChainHead parent = parentOf(s);
    if (parent == null) {
      slot.pending = pp;
      slot.pendingFrom = from;
      return;
    }
    acceptChain(slot, pp, hash, parent, from);
  }

  /** Accepts {@code pp} and then every waiting child whose parent it is. */
  private void acceptChain(Slot slot, PrePrepare pp, Hash hash, ChainHead parent, int from) {
    while (slot != null && accept(slot, pp, hash, parent, from)) {
      Slot child = slots.get(slot.sequence + 1);
      if (child == null || child.pending == null || child.pending.getView() != view) {
        return;
      }
      parent = slot.asHead();
      pp = child.pending;
      from = child.pendingFrom;
      child.pending = null;
      slot = child;
      hash = Blocks.hash(pp.getBlock());
    }
  }

  private boolean accept(Slot slot, PrePrepare pp, Hash hash, ChainHead parent, int from) {
    ProposalCheck.Result r = proposals.check(pp.getBlock(), parent, true, nowMillis, pool::get);
    if (!r.ok()) {
      drop(Drop.INVALID_BLOCK, from, "block " + slot.sequence + ": " + r.problem());
      return false;
    }
    BlockHeader h = r.proposal().header();
    if (h.getView() != view || h.getHeight() != slot.sequence) {
      drop(Drop.INVALID_BLOCK, from, "header view/height differs from the pre-prepare's");
      return false;
    }
    if (!stateRootMatches(h)) {
      drop(Drop.INVALID_BLOCK, from, "state root at " + h.getStateHeight() + " differs from ours");
      return false;
    }
    List<ParsedTx> txs = r.proposal().txs();
    for (ParsedTx t : txs) {
      if (pool.isCommitted(t.id()) || inAncestors(slot.sequence, t.id())) {
        drop(Drop.INVALID_BLOCK, from, "block " + slot.sequence + " replays transaction " + t.id().shortHex());
        return false;
      }
    }
    slot.votesFor(view);
    slot.accept(view, pp.getBlock(), h, hash, txs, pp);
    pool.markInFlight(txs, ticks);
    persistSlot(slot);
    slot.prepares[self] = hash;
    broadcast(ConsensusMessage.newBuilder()
        .setPrepare(Prepare.newBuilder().setView(view).setSequence(slot.sequence).setBlockHash(hash.bytes())).build());
    maybePrepared(slot);
    return true;
  }

  private boolean stateRootMatches(BlockHeader h) {
    long at = h.getStateHeight();
    Hash ours = executedRoots.get(at);
    return at > executedHeight || ours == null || ours.bytes().equals(h.getStateRoot());
  }

  private boolean inAncestors(long sequence, Hash txId) {
    for (long t = sequence - 1; t > committedHead.height(); t--) {
      Slot s = slots.get(t);
      if (s == null || s.txs == null) {
        return false;
      }
      if (s.containsTx(txId)) {
        return true;
      }
    }
    return false;
  }

  /** The head a block at {@code sequence} must extend, or null when its parent is not known yet. */
  ChainHead parentOf(long sequence) {
    if (sequence - 1 == committedHead.height()) {
      return committedHead;
    }
    Slot p = slots.get(sequence - 1);
    return p != null && p.hasPrePrepare(view) && sequence - 1 > committedHead.height() ? p.asHead() : null;
  }

  private void onPrepare(int from, Prepare p) {
    if (!normalCaseView(from, p.getView())) {
      return;
    }
    if (from == leader(view)) {
      drop(Drop.NOT_LEADER, from, "prepare from the leader");
      return;
    }
    Slot slot = voteSlot(from, p.getSequence(), p.getBlockHash());
    if (slot == null) {
      return;
    }
    Hash h = Hash.of(p.getBlockHash());
    if (slot.prepares[from] != null) {
      count(Drop.DUPLICATE);
      return;
    }
    slot.prepares[from] = h;
    maybePrepared(slot);
  }

  private void onCommit(int from, Commit c) {
    if (!normalCaseView(from, c.getView())) {
      return;
    }
    Slot slot = voteSlot(from, c.getSequence(), c.getBlockHash());
    if (slot == null) {
      return;
    }
    if (c.getSignature().size() != 64) {
      drop(Drop.MALFORMED, from, "commit signature length " + c.getSignature().size());
      return;
    }
    if (slot.commitHashes[from] != null) {
      count(Drop.DUPLICATE);
      return;
    }
    if (shouldVerifyCommit(from, c.getSequence())
        && !statements.verify(from, statements.commit(c.getView(), c.getSequence(), c.getBlockHash()), c.getSignature())) {
      suspects[from] = true;
      drop(Drop.BAD_SIGNATURE, from, "commit " + c.getSequence() + " (validator " + from + " is now verified always)");
      return;
    }
    slot.commitHashes[from] = Hash.of(c.getBlockHash());
    slot.commitSignatures[from] = c.getSignature();
    maybeCommitted(slot);
  }

  /**
   * Commit signatures go into certificates that outsiders verify, but verifying each on receipt
   * would cost more than the rest of the normal case. So a replica verifies one commit in
   * {@link #COMMIT_SAMPLE_PERIOD} per validator (deterministic round robin) and, once a
   * validator has sent one bad signature, all of its commits: a junk signer is caught within a
   * few blocks and cannot spoil later certificates.
   */
  private boolean shouldVerifyCommit(int from, long sequence) {
    return suspects[from] || Math.floorMod(sequence + from, COMMIT_SAMPLE_PERIOD) == 0;
  }

  private Slot voteSlot(int from, long s, ByteString hash) {
    if (hash.size() != Hash.LENGTH) {
      drop(Drop.MALFORMED, from, "hash length " + hash.size());
      return null;
    }
    if (s <= low() || s > high() || (s <= committedHead.height() && !slots.containsKey(s))) {
      drop(Drop.OUT_OF_WINDOW, from, "vote for " + s);
      return null;
    }
    Slot slot = slot(s);
    slot.votesFor(view);
    return slot;
  }

  /** True when a normal-case message of view {@code v} may be processed now; counts the drop otherwise. */
  private boolean normalCaseView(int from, long v) {
    if (v < view) {
      drop(Drop.STALE_VIEW, from, "view " + v + " < " + view);
      viewChanges.hintLaggard(from);
      return false;
    }
    if (v > view) {
      drop(Drop.FUTURE_VIEW, from, "view " + v + " > " + view);
      return false;
    }
    if (viewChanging) {
      count(Drop.VIEW_CHANGING);
      return false;
    }
    return true;
  }

  void maybePrepared(Slot slot) {
    if (!slot.hasPrePrepare(view) || slot.voteView != view || slot.preparedNow) {
      return;
    }
    if (slot.count(slot.prepares, slot.hash, leader(view)) < 2 * f) {
      return;
    }
    slot.preparedNow = true;
    slot.preparedView = view;
    slot.preparedHash = slot.hash;
    slot.preparedBlock = slot.block;
    persistSlot(slot);
    if (slot.sequence <= committedHead.height()) {
      sendCommit(slot);
    }
    sendCommits();
  }

  /** Sends COMMIT for prepared sequences in order (a COMMIT only when every sequence below is prepared or committed). */
  void sendCommits() {
    long t = Math.max(commitFrontier, committedHead.height()) + 1;
    while (true) {
      Slot s = slots.get(t);
      if (s == null || !s.preparedNow || s.voteView != view) {
        return;
      }
      if (!s.commitSent) {
        sendCommit(s);
      }
      commitFrontier = t;
      t++;
    }
  }

  private void sendCommit(Slot s) {
    if (s.commitSent) {
      return;
    }
    ByteString sig = config.keys().sign(statements.commit(view, s.sequence, s.hash.bytes()));
    s.commitSent = true;
    s.commitHashes[self] = s.hash;
    s.commitSignatures[self] = sig;
    broadcast(commitMessage(s));
    maybeCommitted(s);
  }

  ConsensusMessage commitMessage(Slot s) {
    return ConsensusMessage.newBuilder().setCommit(Commit.newBuilder().setView(view).setSequence(s.sequence)
        .setBlockHash(s.hash.bytes()).setSignature(s.commitSignatures[self])).build();
  }

  private void maybeCommitted(Slot slot) {
    if (slot.committed || !slot.preparedNow || slot.voteView != view || slot.sequence <= committedHead.height()) {
      return;
    }
    if (slot.count(slot.commitHashes, slot.hash, -1) < quorum) {
      return;
    }
    slot.committed = true;
    drainCommitted();
  }

  private void drainCommitted() {
    while (true) {
      Slot s = slots.get(committedHead.height() + 1);
      if (s == null || !s.committed || !s.hasPrePrepare(s.ppView)) {
        return;
      }
      CommitCertificate.Builder cert = CommitCertificate.newBuilder().setView(view).setHeight(s.sequence)
          .setBlockHash(s.hash.bytes());
      for (int i = 0; i < n; i++) {
        if (s.hash.equals(s.commitHashes[i])) {
          cert.addSignatures(ValidatorSignature.newBuilder().setValidator(i).setSignature(s.commitSignatures[i]));
        }
      }
      emit(CertifiedBlock.newBuilder().setBlock(s.block).setCertificate(cert).build(), s.txs, s.asHead());
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

  /** After state transfer moved the committed head: drop log entries that no longer link, retry a waiting proposal. */
  void afterTransfer() {
    ChainHead parent = committedHead;
    for (Slot s : new ArrayList<>(slots.tailMap(committedHead.height(), false).values())) {
      if (s.sequence != parent.height() + 1) {
        break;
      }
      if (s.block != null && !s.header.getPreviousHash().equals(parent.hash().bytes())) {
        s.ppView = -1;
        s.block = null;
        s.hash = null;
        s.header = null;
        s.txs = null;
        s.prePrepare = null;
        persistSlot(s);
      }
      if (s.block == null) {
        if (s.pending != null && s.pending.getView() == view && !viewChanging) {
          PrePrepare pp = s.pending;
          s.pending = null;
          acceptChain(s, pp, Blocks.hash(pp.getBlock()), parent, s.pendingFrom);
        }
        break;
      }
      parent = s.asHead();
    }
    sendCommits();
  }

  void progress() {
    lastProgressTick = ticks;
    timeoutsInARow = 0;
  }

  private void equivocation(int leader, PrePrepare first, PrePrepare second) {
    count(Drop.EQUIVOCATION);
    Hash h1 = Blocks.hash(first.getBlock());
    Hash h2 = Blocks.hash(second.getBlock());
    boolean signed1 = statements.verify(leader, statements.proposal(first.getView(), first.getSequence(), h1.bytes()),
        first.getSignature());
    boolean signed2 = statements.verify(leader, statements.proposal(second.getView(), second.getSequence(),
        h2.bytes()), second.getSignature());
    if (signed1 && signed2) {
      LOG.warn("replica {}: leader {} equivocated at view {} sequence {}", self, leader, first.getView(),
          first.getSequence());
      evidence.add(new Equivocation(leader, first.getView(), first.getSequence(),
          ConsensusMessage.newBuilder().setPrePrepare(first).build(),
          ConsensusMessage.newBuilder().setPrePrepare(second).build()));
    }
  }

  // ---------------------------------------------------------------- execution and checkpoints

  private void onExecuted(Input.Executed e) {
    if (e.height() <= executedHeight) {
      return;
    }
    Invariants.check(e.height() == executedHeight + 1 && e.height() <= committedHead.height(),
        "Executed(" + e.height() + ") out of order: executed " + executedHeight + ", committed "
            + committedHead.height());
    executedHeight = e.height();
    executedRoot = e.stateRoot();
    executedRoots.put(e.height(), e.stateRoot());
    while (executedRoots.size() > config.logBlocks() + 1) {
      executedRoots.pollFirstEntry();
    }
    if (e.height() == stable.getSequence() && stable.getSequence() > 0) {
      Invariants.check(stable.getStateRoot().equals(e.stateRoot().bytes()),
          "state root at stable checkpoint " + e.height() + " differs from 2f+1 validators'");
    }
    if (e.height() % config.checkpointIntervalBlocks() == 0 && e.height() > low()) {
      ByteString sig = config.keys().sign(statements.checkpoint(e.height(), e.blockHash().bytes(),
          e.stateRoot().bytes()));
      org.fedledger.proto.Checkpoint cp = org.fedledger.proto.Checkpoint.newBuilder().setSequence(e.height())
          .setBlockHash(e.blockHash().bytes()).setStateRoot(e.stateRoot().bytes()).setSignature(sig).build();
      ConsensusMessage msg = ConsensusMessage.newBuilder().setCheckpoint(cp).build();
      ownCheckpoint = new Outbound(Outbound.BROADCAST, msg);
      send.add(ownCheckpoint);
      checkpointVotes(e.height()).add(self, cp, true);
      maybeStable(e.height());
    }
  }

  private void onCheckpoint(int from, org.fedledger.proto.Checkpoint cp) {
    long s = cp.getSequence();
    if (s <= low()) {
      count(Drop.STALE);
      return;
    }
    if (s % config.checkpointIntervalBlocks() != 0 || cp.getBlockHash().size() != Hash.LENGTH
        || cp.getStateRoot().size() != Hash.LENGTH || cp.getSignature().size() != 64) {
      drop(Drop.MALFORMED, from, "checkpoint " + s);
      return;
    }
    if (s > low() + 4L * config.logBlocks()) {
      drop(Drop.OUT_OF_WINDOW, from, "checkpoint " + s);
      transfer.hint(from, s);
      return;
    }
    checkpointVotes(s).add(from, cp, false);
    maybeStable(s);
  }

  private CheckpointVotes checkpointVotes(long s) {
    return checkpointVotes.computeIfAbsent(s, x -> new CheckpointVotes(s, n));
  }

  private void maybeStable(long s) {
    CheckpointVotes votes = checkpointVotes.get(s);
    CheckpointCertificate cert = votes == null ? null : votes.certificate(quorum, this::verifyCheckpointVote);
    if (cert != null) {
      becomeStable(cert);
    }
  }

  private boolean verifyCheckpointVote(int from, org.fedledger.proto.Checkpoint cp) {
    boolean ok = statements.verify(from, statements.checkpoint(cp.getSequence(), cp.getBlockHash(),
        cp.getStateRoot()), cp.getSignature());
    if (!ok) {
      drop(Drop.BAD_SIGNATURE, from, "checkpoint " + cp.getSequence());
    }
    return ok;
  }

  /** Makes {@code cert} the stable checkpoint: the low watermark moves and the log below is discarded (§4.3). */
  void becomeStable(CheckpointCertificate cert) {
    long s = cert.getSequence();
    if (s <= low()) {
      return;
    }
    Hash ours = executedRoots.get(s);
    Invariants.check(ours == null || ours.bytes().equals(cert.getStateRoot()),
        "state root at checkpoint " + s + " differs from 2f+1 validators'");
    stable = cert;
    persist.add(new Persist(LogKeys.CHECKPOINT, CheckpointRecord.newBuilder().setCertificate(cert).build()
        .toByteString()));
    for (Long seq : new ArrayList<>(slots.headMap(s, true).keySet())) {
      slots.remove(seq);
      persist.add(new Persist(LogKeys.slot(seq), null));
    }
    checkpointVotes.headMap(s, true).clear();
    if (ownCheckpoint != null && ownCheckpoint.msg().getCheckpoint().getSequence() <= s) {
      ownCheckpoint = null;
    }
    commitFrontier = Math.max(commitFrontier, s);
    if (committedHead.height() < s) {
      transfer.hint(-1, s);
    }
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
    if (ownCheckpoint != null) {
      send.add(ownCheckpoint);
    }
    if (!hasPendingWork() || lastProgressTick > ticks - config.retransmitTicks()) {
      return; // nothing outstanding, or it is moving: votes are not lost
    }
    boolean leader = self == leader(view);
    for (Slot s : slots.tailMap(committedHead.height() - config.windowBlocks(), false).values()) {
      if (s.sequence <= low() || s.voteView != view || !s.hasPrePrepare(view)) {
        continue;
      }
      if (leader && s.prePrepare != null) {
        broadcast(ConsensusMessage.newBuilder().setPrePrepare(s.prePrepare).build());
      } else if (!leader && s.prepares[self] != null) {
        broadcast(ConsensusMessage.newBuilder().setPrepare(Prepare.newBuilder().setView(view)
            .setSequence(s.sequence).setBlockHash(s.hash.bytes())).build());
      }
      if (s.commitSent) {
        broadcast(commitMessage(s));
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

  void persistSlot(Slot slot) {
    persist.add(new Persist(LogKeys.slot(slot.sequence), slot.toRecord().toByteString()));
  }

  void persistView() {
    persist.add(new Persist(LogKeys.VIEW, ViewRecord.newBuilder().setView(view).setViewChanging(viewChanging)
        .build().toByteString()));
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

  /** View changes this replica started (timeouts and joins). */
  public long viewChangesStarted() {
    return viewChanges.viewChangesStarted();
  }

  /** NEW-VIEWs this replica installed. */
  public long newViewsInstalled() {
    return viewChanges.newViewsInstalled();
  }

  /** Blocks this replica committed through state transfer. */
  public long transferredBlocks() {
    return transfer.blocksFetched();
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
