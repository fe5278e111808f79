package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CheckpointCertificate;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.NewView;
import org.fedledger.proto.NewViewBody;
import org.fedledger.proto.PrePreparedEntry;
import org.fedledger.proto.PreparedEntry;
import org.fedledger.proto.ViewChange;
import org.fedledger.proto.ViewChangeBlock;
import org.fedledger.proto.ViewChangeBlockRequest;
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
 *
 * <p>Blocks travel apart from VIEW-CHANGE and NEW-VIEW, which name them by hash (so no consensus
 * message grows with the log length or carries more than one block): a replica keeps every block
 * its own VIEW-CHANGE names ({@link #ownBlocks}) and serves any block it holds on a
 * {@link ViewChangeBlockRequest}. The new leader counts a VIEW-CHANGE only once it holds every
 * block that VIEW-CHANGE reports prepared above its own low watermark (asked of the sender, which
 * holds them if correct), so the blocks its decision picks are all in hand; a replica accepts a
 * NEW-VIEW once it holds the picked blocks (asked of the leader, then of the VIEW-CHANGEs' senders
 * that name them). A block is accepted only when it is the one asked for: its hash, height and
 * transactions are checked. A block nobody serves costs liveness only: the view-change timer moves on.
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

  /**
   * A block named at a sequence. Blocks asked for and refused are keyed by both: a faulty replica may name a
   * correct block's hash at another sequence, which must neither merge with nor refuse the correct naming.
   */
  private record Named(long sequence, Hash hash) implements Comparable<Named> {
    @Override
    public int compareTo(Named o) {
      int c = Long.compare(sequence, o.sequence);
      return c != 0 ? c : hash.compareTo(o.hash);
    }
  }

  /** A block held for the view change, at its sequence. */
  private record Held(long sequence, Block block) {}

  /** A block this replica asks for: whom to ask (in turn), and when it last asked. */
  private static final class Want {
    final long sequence;
    final List<Integer> peers = new ArrayList<>();
    int next;

    Want(long sequence) {
      this.sequence = sequence;
    }
  }

  /** A verified NEW-VIEW waiting for the blocks its decision picks. */
  private record PendingNewView(long view, NewView message, List<NewViewDecision.Vote> votes) {}

  /** The blocks named by this replica's own VIEW-CHANGE, served until the next view is installed. */
  private final TreeMap<Hash, Held> ownBlocks = new TreeMap<>();
  /** Blocks fetched for the view change in progress (checked), by hash. */
  private final TreeMap<Hash, Held> fetched = new TreeMap<>();
  /** Blocks asked for and not yet received, by sequence and hash. */
  private final TreeMap<Named, Want> wanted = new TreeMap<>();
  /** Blocks served with a bad header for the sequence they were named at (the hash covers it): never asked again. */
  private final TreeSet<Named> refused = new TreeSet<>();
  /** Per peer: the tick each block was last served to it (a peer asking again at once is not answered). */
  private final TreeMap<Hash, Long>[] served;
  private PendingNewView pending;
  private long blocksFetched;
  private long blocksServed;

  @SuppressWarnings("unchecked")
  ViewChanges(Replica r) {
    this.r = r;
    this.latest = new Received[r.n];
    this.lastHintTick = new long[r.n];
    Arrays.fill(lastHintTick, Long.MIN_VALUE / 2);
    this.served = new TreeMap[r.n];
    for (int i = 0; i < r.n; i++) {
      served[i] = new TreeMap<>();
    }
  }

  /** View-change blocks received from peers (asked for and checked). */
  long blocksFetched() {
    return blocksFetched;
  }

  /** View-change blocks served to peers. */
  long blocksServed() {
    return blocksServed;
  }

  /** Most blocks asked for at once: every VIEW-CHANGE of a view names at most L prepared blocks. */
  private int wantedMax() {
    return r.n * r.config.logBlocks();
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
    for (Map.Entry<Named, Want> e : wanted.entrySet()) {
      ask(e.getKey().hash(), e.getValue()); // the next peer in turn: the last one may be faulty or slow
    }
    maybeNewView();
    retryPending();
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
    wanted.clear(); // asked for the previous view's VIEW-CHANGEs or NEW-VIEW; asked again when still needed
    if (pending != null && pending.view() < v) {
      pending = null;
    }
    if (fetched.size() > wantedMax()) {
      fetched.clear();
    }
    Received own = buildOwn(v);
    latest[r.self] = own;
    r.broadcast(ConsensusMessage.newBuilder().setViewChange(own.message()).build());
    maybeNewView();
  }

  private Received buildOwn(long v) {
    ViewChangeBody.Builder b = ViewChangeBody.newBuilder().setChainId(r.chain.chainId()).setNewView(v)
        .setReplica(r.self).setStableCheckpoint(r.stable);
    ownBlocks.clear();
    for (Slot s : r.slots.tailMap(r.low(), false).values()) {
      if (s.preparedView >= 0) {
        b.addPrepared(PreparedEntry.newBuilder().setSequence(s.sequence).setView(s.preparedView)
            .setBlockHash(s.preparedHash.bytes()));
        ownBlocks.put(s.preparedHash, new Held(s.sequence, s.preparedBlock)); // served while this VIEW-CHANGE stands
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
    if (had != null && (had.view() > v || (had.view() == v && !replaceable(had)))) {
      r.count(Drop.DUPLICATE);
      return;
    }
    ViewChangeBody body = checkViewChange(vc);
    if (body == null || body.getReplica() != from) {
      r.drop(Drop.INVALID_VIEW_CHANGE, from, "view change");
      return;
    }
    latest[from] = new Received(v, body, vc);
    if (had != null && had.view() == v) {
      forgetUnnamed(); // a replaced VIEW-CHANGE: what only it named must not crowd out the blocks still needed
    }
    maybeJoin();
    maybeNewView();
  }

  /**
   * As the new leader, after a VIEW-CHANGE of the view being changed to was replaced: forgets the
   * blocks asked for or fetched that no VIEW-CHANGE of that view reports prepared any more (its
   * decision picks only those), so a faulty replica replacing its VIEW-CHANGE again and again
   * cannot fill {@link #wanted} (bounded: the blocks of correct replicas would no longer be asked
   * for) nor {@link #fetched} (memory).
   */
  private void forgetUnnamed() {
    TreeSet<Named> named = new TreeSet<>();
    TreeSet<Hash> hashes = new TreeSet<>();
    for (Received x : latest) {
      if (x != null && x.view() == r.view) {
        for (PreparedEntry e : x.body().getPreparedList()) {
          named.add(new Named(e.getSequence(), Hash.of(e.getBlockHash())));
          hashes.add(Hash.of(e.getBlockHash()));
        }
      }
    }
    wanted.keySet().retainAll(named);
    fetched.keySet().retainAll(hashes);
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
      // Only a VIEW-CHANGE whose prepared blocks are all here counts: then so is every block the decision picks.
      if (latest[i] != null && latest[i].view() == r.view && fetchBlocksOf(i, latest[i])) {
        votes.add(new NewViewDecision.Vote(i, latest[i].body()));
        b.addViewChanges(latest[i].message());
      }
    }
    if (votes.size() < r.quorum) {
      return;
    }
    NewViewDecision.Result d = NewViewDecision.decide(votes, r.f, r.config.logBlocks(), this::block, r.low());
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
    NewViewDecision.Result d = NewViewDecision.decide(votes, r.f, r.config.logBlocks(), this::block, r.low());
    if (d.needsBlocks()) {
      pending = new PendingNewView(v, nv, votes);
      wantPicked(pending, d);
      return;
    }
    if (!d.complete()) {
      r.drop(Drop.INVALID_NEW_VIEW, from, "new view " + v + ": the decision is incomplete");
      return;
    }
    install(v, d, nv);
  }

  /** A NEW-VIEW that waited for blocks: installs it once they are all here. */
  private void retryPending() {
    PendingNewView p = pending;
    if (p == null) {
      return;
    }
    if (p.view() != r.view || !r.viewChanging) {
      pending = null;
      return;
    }
    NewViewDecision.Result d = NewViewDecision.decide(p.votes(), r.f, r.config.logBlocks(), this::block, r.low());
    if (d.needsBlocks()) {
      wantPicked(p, d);
    } else if (d.complete()) {
      install(p.view(), d, p.message());
    } else {
      pending = null; // cannot happen: the votes did not change
    }
  }

  /** Asks for the picked blocks a NEW-VIEW needs: of its leader first, then of the replicas that name them. */
  private void wantPicked(PendingNewView p, NewViewDecision.Result d) {
    for (NewViewDecision.Missing m : d.missing()) {
      List<Integer> peers = new ArrayList<>();
      peers.add(r.leader(p.view()));
      addNamers(peers, p.votes(), m.sequence(), m.hash());
      want(m.sequence(), m.hash(), peers);
    }
  }

  /** Adds every sender of {@code votes} whose VIEW-CHANGE reports the block prepared, then pre-prepared. */
  private void addNamers(List<Integer> peers, List<NewViewDecision.Vote> votes, long sequence, Hash hash) {
    for (int pass = 0; pass < 2; pass++) {
      for (NewViewDecision.Vote v : votes) {
        if (v.replica() == r.self || peers.contains(v.replica())) {
          continue;
        }
        boolean names = false;
        if (pass == 0) {
          PreparedEntry e = NewViewDecision.prepared(v.body(), sequence);
          names = e != null && e.getBlockHash().equals(hash.bytes());
        } else {
          for (PrePreparedEntry q : v.body().getPrePreparedList()) {
            names |= q.getSequence() == sequence && q.getBlockHash().equals(hash.bytes());
          }
        }
        if (names) {
          peers.add(v.replica());
        }
      }
    }
  }

  /**
   * As the new leader: true when every block {@code x} (from validator {@code i}) reports prepared
   * above the low watermark is here; otherwise asks for the missing ones (of {@code i} first).
   */
  private boolean fetchBlocksOf(int i, Received x) {
    boolean complete = true;
    List<NewViewDecision.Vote> others = null;
    for (PreparedEntry e : x.body().getPreparedList()) {
      Hash h = Hash.of(e.getBlockHash());
      if (e.getSequence() <= r.low() || block(e.getSequence(), h) != null) {
        continue;
      }
      complete = false;
      if (others == null) {
        others = new ArrayList<>();
        for (int j = 0; j < r.n; j++) {
          if (latest[j] != null && latest[j].view() == r.view) {
            others.add(new NewViewDecision.Vote(j, latest[j].body()));
          }
        }
      }
      List<Integer> peers = new ArrayList<>();
      if (i != r.self) {
        peers.add(i);
      }
      addNamers(peers, others, e.getSequence(), h);
      want(e.getSequence(), h, peers);
    }
    return complete;
  }

  /**
   * True when a newer VIEW-CHANGE of the same view may replace {@code had}: this replica leads that
   * view and still lacks a block {@code had} names (e.g. its sender restarted and lost it).
   */
  private boolean replaceable(Received had) {
    if (r.leader(had.view()) != r.self || !r.viewChanging || had.view() != r.view) {
      return false;
    }
    for (PreparedEntry e : had.body().getPreparedList()) {
      if (e.getSequence() > r.low() && block(e.getSequence(), Hash.of(e.getBlockHash())) == null) {
        return true;
      }
    }
    return false;
  }

  /** The block of hash {@code h} at {@code sequence} when this replica holds it (checked when it got it), else null. */
  Block block(long sequence, Hash h) {
    Slot s = r.slots.get(sequence);
    if (s != null) {
      if (s.block != null && h.equals(s.hash)) {
        return s.block;
      }
      if (s.preparedView >= 0 && h.equals(s.preparedHash) && s.preparedBlock != null) {
        return s.preparedBlock;
      }
    }
    Held x = ownBlocks.get(h);
    if (x == null) {
      x = fetched.get(h);
    }
    return x != null && x.sequence() == sequence ? x.block() : null;
  }

  /** Asks for a block unless it is here, refused, already asked for, or too many are. */
  private void want(long sequence, Hash h, List<Integer> peers) {
    Named key = new Named(sequence, h);
    if (peers.isEmpty() || refused.contains(key) || block(sequence, h) != null) {
      return;
    }
    Want w = wanted.get(key);
    if (w == null) {
      if (wanted.size() >= wantedMax()) {
        return;
      }
      w = new Want(sequence);
      wanted.put(key, w);
      w.peers.addAll(peers);
      ask(h, w);
      return;
    }
    for (Integer p : peers) {
      if (!w.peers.contains(p)) {
        w.peers.add(p);
      }
    }
  }

  private void ask(Hash h, Want w) {
    if (w.peers.isEmpty()) {
      return;
    }
    int peer = w.peers.get(w.next % w.peers.size());
    w.next++;
    r.sendTo(peer, ConsensusMessage.newBuilder().setViewChangeBlockRequest(ViewChangeBlockRequest.newBuilder()
        .setSequence(w.sequence).setBlockHash(h.bytes())).build());
  }

  /** Serves a block this replica holds (its log, its own VIEW-CHANGE's blocks, blocks it fetched). */
  void onBlockRequest(int from, ViewChangeBlockRequest q) {
    if (q.getBlockHash().size() != Hash.LENGTH) {
      r.drop(Drop.MALFORMED, from, "view-change block request without a hash");
      return;
    }
    Hash h = Hash.of(q.getBlockHash());
    Block b = block(q.getSequence(), h);
    if (b == null) {
      r.drop(Drop.BLOCK_NOT_HELD, from, "block " + q.getSequence() + " " + h);
      return;
    }
    TreeMap<Hash, Long> last = served[from];
    Long at = last.get(h);
    if (at != null && r.ticks - at < r.config.retransmitTicks()) {
      r.drop(Drop.BLOCK_NOT_HELD, from, "block " + q.getSequence() + " asked again at once");
      return;
    }
    if (last.size() >= wantedMax()) {
      last.clear();
    }
    last.put(h, r.ticks);
    blocksServed++;
    r.sendTo(from, ConsensusMessage.newBuilder().setViewChangeBlock(ViewChangeBlock.newBuilder()
        .setSequence(q.getSequence()).setBlock(b)).build());
  }

  /** A block asked for: kept when it is the one asked for and valid, then the view change moves on. */
  void onBlock(int from, ViewChangeBlock m) {
    Block b = m.getBlock();
    Hash h = Blocks.hash(b);
    Named key = new Named(m.getSequence(), h);
    Want w = wanted.get(key);
    if (w == null) {
      r.drop(Drop.UNWANTED_BLOCK, from, "view-change block " + m.getSequence() + " " + h);
      return;
    }
    BlockHeader bh = ProposalCheck.header(b);
    if (bh == null || bh.getHeight() != m.getSequence() || !bh.getChainId().equals(r.chain.chainId())) {
      // The hash covers the header: the block named is bad, and no correct replica pre-prepared it (A2 cannot pick it).
      r.drop(Drop.INVALID_BLOCK, from, "view-change block " + m.getSequence() + " " + h + " has a bad header");
      wanted.remove(key);
      refused.add(key);
      return;
    }
    if (b.getSerializedSize() > r.chain.blockBytesMax()
        || r.proposals.checkContent(b, bh, this::knownTx, new ArrayList<>()) != null) {
      // The hash covers only the header (transactions through its tx root, not their signatures): the sender
      // may have altered the body. Not this block's fault: the next peer in turn is asked at the next period.
      r.drop(Drop.INVALID_BLOCK, from, "view-change block " + m.getSequence() + " " + h + " with a wrong body");
      return;
    }
    wanted.remove(key);
    fetched.put(h, new Held(m.getSequence(), b));
    blocksFetched++;
    maybeNewView();
    if (wanted.isEmpty()) {
      retryPending();
    }
  }

  /** Enters view {@code v} with the decided checkpoint and re-proposals (every replica, leader included). */
  private void install(long v, NewViewDecision.Result d, NewView nv) {
    LOG.info("replica {}: entering view {} (leader {}), checkpoint {}, {} re-proposed", r.self, v, r.leader(v),
        d.checkpoint().getSequence(), d.chosen().size());
    newViewsInstalled++;
    pending = null;
    wanted.clear();
    refused.clear();
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
    fetched.clear(); // the re-proposed blocks are in the log now
    ownBlocks.clear();
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
      // Hashes only: the blocks are fetched and checked apart (onBlock), when a decision needs them.
      if (e.getSequence() <= previous || e.getSequence() > h + r.config.logBlocks()
          || e.getBlockHash().size() != Hash.LENGTH) {
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
