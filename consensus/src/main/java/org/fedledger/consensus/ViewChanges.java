package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CheckpointCertificate;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.NewView;
import org.fedledger.proto.NewViewBody;
import org.fedledger.proto.PrePreparedEntry;
import org.fedledger.proto.PreparedEntry;
import org.fedledger.proto.ViewChange;
import org.fedledger.proto.ViewChangeBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The view-change protocol of a {@link Replica} (Castro-Liskov §4.4, TOCS §4.4): the timer on
 * outstanding work with capped exponential back-off, VIEW-CHANGE, the f+1 rule that lets a
 * replica join a view change, NEW-VIEW built by the new leader and checked by every replica
 * (it recomputes {@link NewViewDecision} from the signed VIEW-CHANGEs it carries).
 *
 * <p>A replica escalates to the next view only after its timer expires AND it has seen 2f+1
 * VIEW-CHANGEs for the view it is changing to, so a lone replica whose timer fired does not race
 * ahead through views nobody else will join.
 */
final class ViewChanges {
  private static final Logger LOG = LoggerFactory.getLogger(ViewChanges.class);

  private final Replica r;
  /** Per validator: its newest valid VIEW-CHANGE (view, body, signed message). */
  private final Received[] latest;
  private final long[] lastHintTick;
  /** Stable checkpoints already verified: sequence to block hash. */
  private final TreeMap<Long, ByteString> verifiedCheckpoints = new TreeMap<>();
  private NewView currentNewView;
  private long changeStartTick;
  private long viewChangesStarted;
  private long newViewsInstalled;
  private final java.util.EnumMap<ViewChangeCause, Long> causes = new java.util.EnumMap<>(ViewChangeCause.class);

  private record Received(long view, ViewChangeBody body, ViewChange message) {}

  ViewChanges(Replica r) {
    this.r = r;
    this.latest = new Received[r.n];
    this.lastHintTick = new long[r.n];
    Arrays.fill(lastHintTick, Long.MIN_VALUE / 2);
  }

  long viewChangesStarted() {
    return viewChangesStarted;
  }

  java.util.Map<ViewChangeCause, Long> causes() {
    return java.util.Collections.unmodifiableMap(new java.util.EnumMap<>(causes));
  }

  long newViewsInstalled() {
    return newViewsInstalled;
  }

  /** After a restart in the middle of a view change: re-send a VIEW-CHANGE built from the restored log. */
  void restored() {
    if (r.viewChanging) {
      changeStartTick = r.ticks;
      latest[r.self] = buildOwn(r.view);
    }
  }

  void onTick() {
    if (!r.viewChanging) {
      if (r.ticks - r.lastProgressTick >= r.timeoutTicks()) {
        LOG.info("replica {}: no progress in view {} for {} ticks, changing view", r.self, r.view, r.timeoutTicks());
        r.timeoutsInARow++;
        start(r.view + 1, ViewChangeCause.PROGRESS_TIMEOUT);
      }
      return;
    }
    if (r.ticks - changeStartTick >= r.timeoutTicks() && votesAtLeast(r.view) >= r.quorum) {
      LOG.info("replica {}: no NEW-VIEW for view {} in {} ticks, moving on", r.self, r.view, r.timeoutTicks());
      r.timeoutsInARow++;
      start(r.view + 1, ViewChangeCause.NEW_VIEW_TIMEOUT);
    }
  }

  void retransmit() {
    Received own = latest[r.self];
    if (own != null && own.view() == r.view) {
      r.broadcast(ConsensusMessage.newBuilder().setViewChange(own.message()).build());
    }
    maybeNewView();
  }

  /** Sends our NEW-VIEW to a replica that is still in an older view (at most once per retransmit period). */
  void hintLaggard(int peer) {
    if (r.viewChanging || currentNewView == null || peer < 0 || peer == r.self
        || r.ticks - lastHintTick[peer] < r.config.retransmitTicks()) {
      return;
    }
    lastHintTick[peer] = r.ticks;
    r.sendTo(peer, ConsensusMessage.newBuilder().setNewView(currentNewView).build());
  }

  private void hintIfStale(int from, long v) {
    if (v < r.view || (v == r.view && !r.viewChanging)) {
      hintLaggard(from);
    }
  }

  /** Starts the change to view {@code v} (§4.4): stop the normal case, send a signed VIEW-CHANGE. */
  private void start(long v, ViewChangeCause cause) {
    r.view = v;
    r.viewChanging = true;
    r.persistView();
    changeStartTick = r.ticks;
    viewChangesStarted++;
    causes.merge(cause, 1L, Long::sum);
    for (Slot s : r.slots.values()) {
      s.pending = null;
    }
    Received own = buildOwn(v);
    latest[r.self] = own;
    r.broadcast(ConsensusMessage.newBuilder().setViewChange(own.message()).build());
    maybeNewView();
  }

  private Received buildOwn(long v) {
    ViewChangeBody.Builder b = ViewChangeBody.newBuilder().setChainId(r.chain.chainId()).setNewView(v)
        .setReplica(r.self).setStableCheckpoint(r.stable);
    for (Slot s : r.slots.tailMap(r.low(), false).values()) {
      if (s.preparedView >= 0) {
        b.addPrepared(PreparedEntry.newBuilder().setSequence(s.sequence).setView(s.preparedView)
            .setBlockHash(s.preparedHash.bytes()).setBlock(s.preparedBlock));
      }
    }
    for (Slot s : r.slots.tailMap(r.low(), false).values()) {
      for (java.util.Map.Entry<Hash, Long> q : s.prePrepared.entrySet()) {
        b.addPrePrepared(PrePreparedEntry.newBuilder().setSequence(s.sequence).setView(q.getValue())
            .setBlockHash(q.getKey().bytes()));
      }
    }
    ViewChangeBody body = b.build();
    ByteString bytes = body.toByteString();
    ViewChange vc = ViewChange.newBuilder().setBody(bytes).setSignature(r.config.keys().sign(bytes)).build();
    return new Received(v, body, vc);
  }

  void onViewChange(int from, ViewChange vc) {
    Received had = latest[from];
    if (had != null && had.message().equals(vc)) {
      r.count(Drop.DUPLICATE);
      hintIfStale(from, had.view());
      return;
    }
    ViewChangeBody peek;
    try {
      peek = ViewChangeBody.parseFrom(vc.getBody());
    } catch (InvalidProtocolBufferException e) {
      r.drop(Drop.INVALID_VIEW_CHANGE, from, "not a ViewChangeBody");
      return;
    }
    long v = peek.getNewView();
    if (v < r.view || (v == r.view && !r.viewChanging)) {
      r.drop(Drop.STALE_VIEW, from, "view change for " + v); // checked before the signature: cheap to drop
      hintLaggard(from);
      return;
    }
    if (had != null && had.view() >= v) {
      r.count(Drop.DUPLICATE);
      return;
    }
    ViewChangeBody body = checkViewChange(vc);
    if (body == null || body.getReplica() != from) {
      r.drop(Drop.INVALID_VIEW_CHANGE, from, "view change");
      return;
    }
    latest[from] = new Received(v, body, vc);
    maybeJoin();
    maybeNewView();
  }

  /** The f+1 rule (§4.5.2): f+1 replicas want a view above ours, so we join the smallest such view. */
  private void maybeJoin() {
    TreeSet<Long> ahead = new TreeSet<>();
    List<Long> views = new ArrayList<>();
    for (int i = 0; i < r.n; i++) {
      if (i != r.self && latest[i] != null && latest[i].view() > r.view) {
        views.add(latest[i].view());
      }
    }
    if (views.size() < r.f + 1) {
      return;
    }
    views.sort(null);
    ahead.add(views.get(views.size() - (r.f + 1)));
    long join = ahead.first();
    if (join > r.view) {
      start(join, ViewChangeCause.JOINED_F_PLUS_ONE);
    }
  }

  private int votesAtLeast(long v) {
    int c = 0;
    for (Received x : latest) {
      if (x != null && x.view() >= v) {
        c++;
      }
    }
    return c;
  }

  /** As the leader of the view being changed to: decide and send NEW-VIEW once 2f+1 VIEW-CHANGEs allow it. */
  private void maybeNewView() {
    if (!r.viewChanging || r.leader(r.view) != r.self) {
      return;
    }
    List<NewViewDecision.Vote> votes = new ArrayList<>();
    NewViewBody.Builder b = NewViewBody.newBuilder().setChainId(r.chain.chainId()).setView(r.view).setLeader(r.self);
    for (int i = 0; i < r.n; i++) {
      if (latest[i] != null && latest[i].view() == r.view) {
        votes.add(new NewViewDecision.Vote(i, latest[i].body()));
        b.addViewChanges(latest[i].message());
      }
    }
    if (votes.size() < r.quorum) {
      return;
    }
    NewViewDecision.Result d = NewViewDecision.decide(votes, r.f, r.config.logBlocks());
    if (!d.complete()) {
      return;
    }
    ByteString bytes = b.build().toByteString();
    NewView nv = NewView.newBuilder().setBody(bytes).setSignature(r.config.keys().sign(bytes)).build();
    r.broadcast(ConsensusMessage.newBuilder().setNewView(nv).build());
    install(r.view, d, nv);
  }

  void onNewView(int from, NewView nv) {
    NewViewBody body;
    try {
      body = NewViewBody.parseFrom(nv.getBody());
    } catch (InvalidProtocolBufferException e) {
      r.drop(Drop.INVALID_NEW_VIEW, from, "not a NewViewBody");
      return;
    }
    long v = body.getView();
    if (v < r.view || (v == r.view && !r.viewChanging)) {
      r.count(v == r.view ? Drop.DUPLICATE : Drop.STALE_VIEW);
      return;
    }
    if (!body.getChainId().equals(r.chain.chainId()) || body.getLeader() != r.leader(v)
        || !r.statements.verify(body.getLeader(), nv.getBody(), nv.getSignature())) {
      r.drop(Drop.INVALID_NEW_VIEW, from, "new view " + v + " not signed by its leader");
      return;
    }
    List<NewViewDecision.Vote> votes = new ArrayList<>();
    boolean[] seen = new boolean[r.n];
    for (ViewChange vc : body.getViewChangesList()) {
      ViewChangeBody vb = known(vc);
      if (vb == null) {
        vb = checkViewChange(vc);
      }
      if (vb == null || vb.getNewView() != v || seen[vb.getReplica()]) {
        r.drop(Drop.INVALID_NEW_VIEW, from, "new view " + v + " carries a bad view change");
        return;
      }
      seen[vb.getReplica()] = true;
      votes.add(new NewViewDecision.Vote(vb.getReplica(), vb));
    }
    NewViewDecision.Result d = NewViewDecision.decide(votes, r.f, r.config.logBlocks());
    if (!d.complete()) {
      r.drop(Drop.INVALID_NEW_VIEW, from, "new view " + v + ": the decision is incomplete");
      return;
    }
    install(v, d, nv);
  }

  /** Enters view {@code v} with the decided checkpoint and re-proposals (every replica, leader included). */
  private void install(long v, NewViewDecision.Result d, NewView nv) {
    LOG.info("replica {}: entering view {} (leader {}), checkpoint {}, {} re-proposed", r.self, v, r.leader(v),
        d.checkpoint().getSequence(), d.chosen().size());
    newViewsInstalled++;
    r.view = v;
    r.viewChanging = false;
    r.persistView();
    currentNewView = nv;
    r.lastProgressTick = r.ticks;
    r.commitFrontier = Math.max(r.low(), 0);
    if (d.checkpoint().getSequence() > r.low()) {
      r.becomeStable(d.checkpoint());
    }
    r.pool.releaseInFlight();
    long lastChosen = r.low();
    List<NewViewDecision.Chosen> reProposals = new ArrayList<>();
    for (NewViewDecision.Chosen c : d.chosen()) {
      if (c.sequence() > r.low()) {
        reProposals.add(c);
      }
    }
    for (int i = 0; i < reProposals.size(); i++) {
      NewViewDecision.Chosen c = reProposals.get(i);
      reProposed(v, c, Certification.reProposalCertified(i, reProposals.size()));
      lastChosen = c.sequence();
    }
    for (Slot s : new ArrayList<>(r.slots.tailMap(lastChosen, false).values())) {
      s.pending = null;
      if (s.block != null || s.preparedView >= 0) {
        s.clearPrePrepare();
        r.persistSlot(s);
      }
    }
    for (NewViewDecision.Chosen c : d.chosen()) {
      Slot s = r.slots.get(c.sequence());
      if (s != null) {
        r.maybePrepared(s);
      }
    }
    if (r.committedHead().height() < r.low()) {
      r.transfer.hint(-1, r.low());
    }
  }

  private void reProposed(long v, NewViewDecision.Chosen c, boolean certify) {
    Slot s = r.slot(c.sequence());
    if (s.committed && s.hash != null) {
      Invariants.check(s.hash.equals(c.hash()), "NEW-VIEW " + v + " re-proposes another block at committed "
          + c.sequence());
    }
    BlockHeader h = ProposalCheck.header(c.block());
    List<ParsedTx> txs = r.proposals.parseTxs(c.block(), false, r.pool::get);
    Invariants.check(h != null && txs != null, "a chosen block must parse");
    s.votesFor(v);
    s.accept(v, c.block(), h, c.hash(), txs, null, certify);
    if (c.sequence() <= r.committedHead.height()) {
      s.committed = true;
    } else {
      r.pool.markInFlight(txs, r.ticks);
    }
    r.persistSlot(s);
    if (r.self != r.leader(v) && r.mayVote(c.sequence())) {
      r.reserve(c.sequence());
      s.prepares[r.self] = c.hash();
      s.prepareCertify[r.self] = certify;
      r.broadcast(r.normal.prepareMessage(s));
    }
  }

  /** A transaction this replica already validated: pooled, or in a block of its log. */
  private ParsedTx knownTx(Hash id) {
    ParsedTx t = r.pool.get(id);
    if (t != null) {
      return t;
    }
    for (Slot s : r.slots.values()) {
      if (s.txs != null && s.containsTx(id)) {
        for (ParsedTx x : s.txs) {
          if (x.id().equals(id)) {
            return x;
          }
        }
      }
    }
    return null;
  }

  /** The body of {@code vc} when it is exactly a VIEW-CHANGE already verified and kept, else null. */
  private ViewChangeBody known(ViewChange vc) {
    for (Received x : latest) {
      if (x != null && x.message().equals(vc)) {
        return x.body();
      }
    }
    return null;
  }

  /** Parses and checks a signed VIEW-CHANGE: signature, chain, structure, checkpoint proof. Null when invalid. */
  private ViewChangeBody checkViewChange(ViewChange vc) {
    ViewChangeBody body;
    try {
      body = ViewChangeBody.parseFrom(vc.getBody());
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
    if (!body.getChainId().equals(r.chain.chainId()) || body.getReplica() < 0 || body.getReplica() >= r.n
        || !body.hasStableCheckpoint()) {
      return null;
    }
    if (!r.statements.verify(body.getReplica(), vc.getBody(), vc.getSignature())) {
      r.count(Drop.BAD_SIGNATURE);
      return null;
    }
    CheckpointCertificate cp = body.getStableCheckpoint();
    long h = cp.getSequence();
    if (!checkpointValid(cp)) {
      return null;
    }
    long previous = h;
    for (PreparedEntry e : body.getPreparedList()) {
      if (e.getSequence() <= previous || e.getSequence() > h + r.config.logBlocks()
          || e.getBlockHash().size() != Hash.LENGTH || !Blocks.hash(e.getBlock()).bytes().equals(e.getBlockHash())) {
        return null;
      }
      BlockHeader bh = ProposalCheck.header(e.getBlock());
      if (bh == null || bh.getHeight() != e.getSequence()
          || r.proposals.checkContent(e.getBlock(), bh, this::knownTx, new ArrayList<>()) != null) {
        return null;
      }
      previous = e.getSequence();
    }
    previous = h;
    for (PrePreparedEntry e : body.getPrePreparedList()) {
      if (e.getSequence() < previous || e.getSequence() == h || e.getBlockHash().size() != Hash.LENGTH
          || body.getPrePreparedCount() > r.config.logBlocks() * Slot.PRE_PREPARED_MAX) {
        return null;
      }
      previous = e.getSequence();
    }
    return body;
  }

  private boolean checkpointValid(CheckpointCertificate cp) {
    if (cp.getSequence() == 0) {
      return cp.getSignaturesCount() == 0;
    }
    ByteString known = verifiedCheckpoints.get(cp.getSequence());
    if (known != null && known.equals(cp.getBlockHash().concat(cp.getStateRoot()))) {
      return true;
    }
    if (cp.getSequence() == r.low() && r.stable.getBlockHash().equals(cp.getBlockHash())
        && r.stable.getStateRoot().equals(cp.getStateRoot())) {
      return true;
    }
    if (!r.statements.verifyCheckpoint(cp)) {
      return false;
    }
    verifiedCheckpoints.put(cp.getSequence(), cp.getBlockHash().concat(cp.getStateRoot()));
    while (verifiedCheckpoints.size() > 8) {
      verifiedCheckpoints.pollFirstEntry();
    }
    return true;
  }
}
