package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.consensus.Ready.Equivocation;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Commit;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.Prepare;
import org.fedledger.proto.ValidatorSignature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The normal case of a {@link Replica} (Castro-Liskov §4.2): the leader proposes as soon as
 * requests are pending and fewer than W blocks are in flight; backups validate a PRE-PREPARE's
 * block against its parent before they PREPARE; 2f matching PREPAREs make a replica prepared;
 * it sends COMMIT in sequence order (only once every uncommitted block below is prepared too);
 * 2f+1 matching COMMITs commit the block, and blocks are handed to the driver in height order.
 */
final class NormalCase {
  private static final Logger LOG = LoggerFactory.getLogger(NormalCase.class);

  private final Replica r;

  NormalCase(Replica r) {
    this.r = r;
  }

  void maybePropose() {
    if (r.viewChanging || r.self != r.leader(r.view) || r.pool.availableCount() == 0 || r.ticks == 0) {
      return; // (no Tick yet: no notion of time for the block timestamp)
    }
    while (r.pool.availableCount() > 0) {
      long last = lastPrePrepared();
      long next = last + 1;
      if (next > r.committedHead.height() + r.config.windowBlocks() || next > r.high() || next <= r.low()) {
        return;
      }
      ChainHead parent = parentOf(next);
      Slot earlier = r.slots.get(next);
      if (parent == null || !r.mayVote(next) || (earlier != null && earlier.prePreparedOtherIn(r.view, null))) {
        // Abstaining after an unclean restart, or it proposed here in this view already (that block no
        // longer links after a state transfer): never two blocks for one view and sequence; a view change moves on.
        return;
      }
      // Batching (Nagle-like): while a block is in flight, wait up to proposeDelayTicks for a fuller
      // block; with nothing in flight, waiting only adds latency, so propose at once.
      if (last > r.committedHead.height() && r.pool.availableCount() < r.config.blockTxMax()
          && r.config.proposeDelayTicks() > 0 && r.ticks - r.pool.oldestAvailableTick() < r.config.proposeDelayTicks()) {
        return;
      }
      List<ParsedTx> txs = r.pool.take(r.config.blockTxMax(), r.config.blockBytesMax());
      if (txs.isEmpty()) {
        return;
      }
      long ts = Math.max(r.nowMillis, parent.timestampMillis());
      Block block = Blocks.build(r.chain, parent, txs, r.executedRoot, r.executedHeight, r.self, r.view, ts);
      Hash hash = Blocks.hash(block);
      boolean certify = Certification.leaderAsks(r.proposedInView != r.view, r.pool.availableCount() == 0);
      ByteString sig = r.config.keys().sign(r.statements.proposal(r.view, next, hash.bytes(), certify));
      r.proposedInView = r.view;
      PrePrepare pp = PrePrepare.newBuilder().setView(r.view).setSequence(next).setBlock(block).setSignature(sig)
          .setCertify(certify).build();
      BlockHeader header = ProposalCheck.header(block);
      Slot slot = r.slot(next);
      slot.votesFor(r.view);
      slot.accept(r.view, block, header, hash, txs, pp, pp.getCertify());
      r.persistSlot(slot);
      r.reserve(next);
      r.broadcast(ConsensusMessage.newBuilder().setPrePrepare(pp).build());
      maybePrepared(slot);
    }
  }

  /** Highest sequence with a PRE-PREPARE of the current view, or the committed head. */
  long lastPrePrepared() {
    long last = r.committedHead.height();
    for (Slot s : r.slots.tailMap(last, false).values()) {
      if (s.hasPrePrepare(r.view) && s.sequence == last + 1) {
        last = s.sequence;
      } else {
        break;
      }
    }
    return last;
  }

  // ---------------------------------------------------------------- normal case: backups

  void onPrePrepare(int from, PrePrepare pp) {
    long v = pp.getView();
    long s = pp.getSequence();
    if (!normalCaseView(from, v)) {
      return;
    }
    if (from != r.leader(r.view)) {
      r.drop(Drop.NOT_LEADER, from, "pre-prepare from a backup");
      return;
    }
    if (s <= r.committedHead.height() || s <= r.low() || s > r.high()) {
      r.drop(Drop.OUT_OF_WINDOW, from, "pre-prepare " + s);
      return;
    }
    Slot slot = r.slot(s);
    Hash hash = Blocks.hash(pp.getBlock());
    if (slot.hasPrePrepare(r.view)) {
      if (slot.hash.equals(hash) && slot.certify == pp.getCertify()) {
        r.count(Drop.DUPLICATE);
      } else if (slot.prePrepare != null) {
        equivocation(from, slot.prePrepare, pp);
      } else {
        r.count(Drop.EQUIVOCATION); // a NEW-VIEW re-proposal holds this slot: the leader contradicts its NEW-VIEW
      }
      return;
    }
    if (slot.pending != null && slot.pending.getView() == r.view) {
      if (Blocks.hash(slot.pending.getBlock()).equals(hash) && slot.pending.getCertify() == pp.getCertify()) {
        r.count(Drop.DUPLICATE);
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
      Slot child = r.slots.get(slot.sequence + 1);
      if (child == null || child.pending == null || child.pending.getView() != r.view) {
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
    ProposalCheck.Result res = r.proposals.check(pp.getBlock(), parent, true, r.nowMillis, r.pool::get);
    if (!res.ok()) {
      r.drop(Drop.INVALID_BLOCK, from, "block " + slot.sequence + ": " + res.problem());
      return false;
    }
    BlockHeader h = res.proposal().header();
    if (h.getView() != r.view || h.getHeight() != slot.sequence) {
      r.drop(Drop.INVALID_BLOCK, from, "header view/height differs from the pre-prepare's");
      return false;
    }
    if (!stateRootMatches(h)) {
      r.drop(Drop.INVALID_BLOCK, from, "state root at " + h.getStateHeight() + " differs from ours");
      return false;
    }
    List<ParsedTx> txs = res.proposal().txs();
    for (ParsedTx t : txs) {
      if (r.pool.isCommitted(t.id()) || inAncestors(slot.sequence, t.id())) {
        r.drop(Drop.INVALID_BLOCK, from, "block " + slot.sequence + " replays transaction " + t.id().shortHex());
        return false;
      }
    }
    boolean votedOther = slot.prePreparedOtherIn(r.view, hash); // (its block was cleared by a state transfer)
    slot.votesFor(r.view);
    slot.accept(r.view, pp.getBlock(), h, hash, txs, pp, pp.getCertify());
    r.pool.markInFlight(txs, r.ticks);
    r.persistSlot(slot);
    if (r.mayVote(slot.sequence) && !votedOther) { // else: keep the block, count the others' votes, send none
      r.reserve(slot.sequence);
      slot.prepares[r.self] = hash;
      slot.prepareCertify[r.self] = slot.certify;
      r.broadcast(prepareMessage(slot));
    }
    maybePrepared(slot);
    return true;
  }

  /**
   * This replica's PREPARE in {@code s} as it cast it: the block hash and certify flag it voted for
   * (a retransmission repeats that vote, whatever block the slot holds now).
   */
  ConsensusMessage prepareMessage(Slot s) {
    return ConsensusMessage.newBuilder().setPrepare(Prepare.newBuilder().setView(s.ppView).setSequence(s.sequence)
        .setBlockHash(s.prepares[r.self].bytes()).setCertify(s.prepareCertify[r.self])).build();
  }

  private boolean stateRootMatches(BlockHeader h) {
    long at = h.getStateHeight();
    Hash ours = r.executedRoots.get(at);
    return at > r.executedHeight || ours == null || ours.bytes().equals(h.getStateRoot());
  }

  private boolean inAncestors(long sequence, Hash txId) {
    for (long t = sequence - 1; t > r.committedHead.height(); t--) {
      Slot s = r.slots.get(t);
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
    if (sequence - 1 == r.committedHead.height()) {
      return r.committedHead;
    }
    Slot p = r.slots.get(sequence - 1);
    return p != null && p.hasPrePrepare(r.view) && sequence - 1 > r.committedHead.height() ? p.asHead() : null;
  }

  void onPrepare(int from, Prepare p) {
    if (!normalCaseView(from, p.getView())) {
      return;
    }
    if (from == r.leader(r.view)) {
      r.drop(Drop.NOT_LEADER, from, "prepare from the leader");
      return;
    }
    Slot slot = voteSlot(from, p.getSequence(), p.getBlockHash());
    if (slot == null) {
      return;
    }
    Hash h = Hash.of(p.getBlockHash());
    if (slot.prepares[from] != null) {
      r.count(Drop.DUPLICATE);
      return;
    }
    if (slot.hasPrePrepare(r.view) && h.equals(slot.hash) && p.getCertify() != slot.certify) {
      r.drop(Drop.CERTIFY_MISMATCH, from, "prepare " + p.getSequence() + " with certify " + p.getCertify());
      return; // our leader told that replica (or it claims) the other flag: it cannot count here
    }
    slot.prepares[from] = h;
    slot.prepareCertify[from] = p.getCertify();
    maybePrepared(slot);
  }

  void onCommit(int from, Commit c) {
    if (!normalCaseView(from, c.getView())) {
      return;
    }
    Slot slot = voteSlot(from, c.getSequence(), c.getBlockHash());
    if (slot == null) {
      return;
    }
    ByteString sig = c.getSignature();
    if (!sig.isEmpty() && sig.size() != 64) {
      r.drop(Drop.MALFORMED, from, "commit signature length " + sig.size());
      return;
    }
    if (slot.commitHashes[from] != null) {
      r.count(Drop.DUPLICATE);
      return;
    }
    Hash h = Hash.of(c.getBlockHash());
    if (slot.hasPrePrepare(r.view) && h.equals(slot.hash) && !signedAsItMustBe(slot, sig)) {
      r.drop(Drop.MALFORMED, from, commitShapeProblem(slot, c.getSequence()));
      return;
    }
    // The channel authenticated the sender: the COMMIT counts without a signature check. A signature
    // (certified blocks only) is checked when the certificate is built, or now if the sender was
    // once caught with a bad one, so that it cannot hold a certificate back.
    boolean verified = false;
    if (!sig.isEmpty() && r.suspects[from]) {
      if (!r.statements.verify(from, r.statements.commit(c.getView(), c.getSequence(), c.getBlockHash()), sig)) {
        r.drop(Drop.BAD_SIGNATURE, from, "commit " + c.getSequence() + " (validator " + from + " is verified always)");
        return;
      }
      verified = true;
    }
    slot.commitHashes[from] = h;
    slot.commitSignatures[from] = sig;
    slot.commitVerified[from] = verified;
    maybeCommitted(slot);
  }

  /** A COMMIT for a certified block carries a signature; one for any other block carries none. */
  private boolean signedAsItMustBe(Slot slot, ByteString signature) {
    return slot.certified(r.config.checkpointIntervalBlocks()) != signature.isEmpty();
  }

  private String commitShapeProblem(Slot slot, long sequence) {
    return slot.certified(r.config.checkpointIntervalBlocks())
        ? "unsigned commit for certified block " + sequence
        : "signed commit for uncertified block " + sequence;
  }

  private Slot voteSlot(int from, long s, ByteString hash) {
    if (hash.size() != Hash.LENGTH) {
      r.drop(Drop.MALFORMED, from, "hash length " + hash.size());
      return null;
    }
    if (s <= r.low() || s > r.high() || (s <= r.committedHead.height() && !r.slots.containsKey(s))) {
      r.drop(Drop.OUT_OF_WINDOW, from, "vote for " + s);
      return null;
    }
    Slot slot = r.slot(s);
    slot.votesFor(r.view);
    return slot;
  }

  /** True when a normal-case message of view {@code v} may be processed now; counts the drop otherwise. */
  private boolean normalCaseView(int from, long v) {
    if (v < r.view) {
      r.drop(Drop.STALE_VIEW, from, "view " + v + " < " + r.view);
      r.viewChanges.hintLaggard(from);
      return false;
    }
    if (v > r.view) {
      r.drop(Drop.FUTURE_VIEW, from, "view " + v + " > " + r.view);
      return false;
    }
    if (r.viewChanging) {
      r.count(Drop.VIEW_CHANGING);
      return false;
    }
    return true;
  }

  void maybePrepared(Slot slot) {
    if (!slot.hasPrePrepare(r.view) || slot.voteView != r.view || slot.preparedNow) {
      return;
    }
    if (matchingPrepares(slot) < 2 * r.f) {
      return;
    }
    slot.preparedNow = true;
    slot.preparedView = r.view;
    slot.preparedHash = slot.hash;
    slot.preparedBlock = slot.block;
    r.persistPrepared(slot);
    if (slot.sequence <= r.committedHead.height()) {
      sendCommit(slot);
    }
    sendCommits();
  }

  /**
   * Backups' PREPAREs for the accepted block with its certify flag (this replica's own matches by
   * construction). Two honest replicas prepared in one view thus agree whether the block is
   * certified, so their COMMITs have one shape.
   */
  private int matchingPrepares(Slot slot) {
    int c = 0;
    for (int i = 0; i < r.n; i++) {
      if (i != r.leader(r.view) && slot.hash.equals(slot.prepares[i])
          && (i == r.self || slot.prepareCertify[i] == slot.certify)) {
        c++;
      }
    }
    return c;
  }

  /** Sends COMMIT for prepared sequences in order (a COMMIT only when every sequence below is prepared or committed). */
  void sendCommits() {
    long t = Math.max(r.commitFrontier, r.committedHead.height()) + 1;
    while (true) {
      Slot s = r.slots.get(t);
      if (s == null || !s.preparedNow || s.voteView != r.view) {
        return;
      }
      if (!s.commitSent) {
        sendCommit(s);
      }
      r.commitFrontier = t;
      t++;
    }
  }

  private void sendCommit(Slot s) {
    if (s.commitSent) {
      return;
    }
    ByteString sig = s.certified(r.config.checkpointIntervalBlocks())
        ? r.config.keys().sign(r.statements.commit(r.view, s.sequence, s.hash.bytes()))
        : ByteString.EMPTY;
    s.commitSent = true;
    r.requireSync(); // the prepared record (written earlier, maybe unsynced) is durable before COMMIT leaves
    s.commitHashes[r.self] = s.hash;
    s.commitSignatures[r.self] = sig;
    s.commitVerified[r.self] = true;
    r.broadcast(commitMessage(s));
    maybeCommitted(s);
  }

  ConsensusMessage commitMessage(Slot s) {
    return ConsensusMessage.newBuilder().setCommit(Commit.newBuilder().setView(r.view).setSequence(s.sequence)
        .setBlockHash(s.hash.bytes()).setSignature(s.commitSignatures[r.self])).build();
  }

  private void maybeCommitted(Slot slot) {
    if (slot.committed || !slot.preparedNow || slot.voteView != r.view || slot.sequence <= r.committedHead.height()) {
      return;
    }
    // COMMITs that arrived before the PRE-PREPARE could not be checked for their shape then.
    for (int i = 0; i < r.n; i++) {
      if (slot.hash.equals(slot.commitHashes[i]) && !signedAsItMustBe(slot, slot.commitSignatures[i])) {
        r.drop(Drop.MALFORMED, i, commitShapeProblem(slot, slot.sequence));
        slot.commitHashes[i] = null;
        slot.commitSignatures[i] = null;
        slot.commitVerified[i] = false;
      }
    }
    if (slot.count(slot.commitHashes, slot.hash, -1) < r.quorum) {
      return;
    }
    CommitCertificate.Builder cert = CommitCertificate.newBuilder().setView(slot.voteView).setHeight(slot.sequence)
        .setBlockHash(slot.hash.bytes());
    if (!slot.certified(r.config.checkpointIntervalBlocks())) {
      freeze(slot, cert); // not certified: 2f+1 authenticated COMMITs commit it, the certificate has no signatures
      return;
    }
    // The certificate is built now, from this view's votes: if a lower block is still missing, a
    // view change may clear the votes before this block is handed over. It must convince peers
    // (state transfer) and outsiders, so it holds 2f+1 signatures that verified: those not verified
    // on receipt are checked now (soak seed 217276: two junk signers spoiled a certificate, and the
    // replicas that fetched the block refused it forever).
    int valid = 0;
    for (int i = 0; i < r.n && valid < r.quorum; i++) {
      if (!slot.hash.equals(slot.commitHashes[i])) {
        continue;
      }
      if (!slot.commitVerified[i]) {
        if (!r.statements.verify(i, r.statements.commit(slot.voteView, slot.sequence, slot.hash.bytes()),
            slot.commitSignatures[i])) {
          r.suspects[i] = true;
          r.drop(Drop.BAD_SIGNATURE, i, "commit " + slot.sequence + " in a certificate (validator " + i
              + " is now verified always)");
          slot.commitHashes[i] = null;
          slot.commitSignatures[i] = null;
          continue;
        }
        slot.commitVerified[i] = true;
      }
      valid++;
    }
    if (valid < r.quorum) {
      return; // a junk signature was caught: wait for more COMMITs
    }
    for (int i = 0; i < r.n && cert.getSignaturesCount() < r.quorum; i++) {
      if (slot.hash.equals(slot.commitHashes[i]) && slot.commitVerified[i]) {
        cert.addSignatures(ValidatorSignature.newBuilder().setValidator(i).setSignature(slot.commitSignatures[i]));
      }
    }
    freeze(slot, cert);
  }

  /** The block is committed here with {@code cert}: frozen now, handed over in height order. */
  private void freeze(Slot slot, CommitCertificate.Builder cert) {
    slot.committed = true;
    slot.certified = CertifiedBlock.newBuilder().setBlock(slot.block).setCertificate(cert).build();
    drainCommitted();
  }

  private void drainCommitted() {
    while (true) {
      Slot s = r.slots.get(r.committedHead.height() + 1);
      if (s == null || s.certified == null) {
        return;
      }
      BlockHeader h = ProposalCheck.header(s.certified.getBlock());
      Hash hash = Blocks.hash(s.certified.getBlock());
      List<ParsedTx> txs = hash.equals(s.hash) ? s.txs : r.proposals.parseTxs(s.certified.getBlock(), false, r.pool::get);
      Invariants.check(h != null && txs != null, "a committed block must parse");
      r.emit(s.certified, txs, new ChainHead(h.getHeight(), hash, h.getTimestampMillis()));
    }
  }


  /** After state transfer moved the committed head: drop log entries that no longer link, retry a waiting proposal. */
  void afterTransfer() {
    ChainHead parent = r.committedHead;
    for (Slot s : new ArrayList<>(r.slots.tailMap(r.committedHead.height(), false).values())) {
      if (s.sequence != parent.height() + 1) {
        break;
      }
      if (s.block != null && !s.header.getPreviousHash().equals(parent.hash().bytes())) {
        s.clearPrePrepare();
        r.persistSlot(s);
      }
      if (s.block == null) {
        if (s.pending != null && s.pending.getView() == r.view && !r.viewChanging) {
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


  private void equivocation(int leader, PrePrepare first, PrePrepare second) {
    r.count(Drop.EQUIVOCATION);
    // Two signed statements for one (view, sequence) that differ in the block or in the certify flag.
    boolean signed1 = r.statements.verify(leader, r.statements.proposal(first, Blocks.hash(first.getBlock())),
        first.getSignature());
    boolean signed2 = r.statements.verify(leader, r.statements.proposal(second, Blocks.hash(second.getBlock())),
        second.getSignature());
    if (signed1 && signed2) {
      LOG.warn("replica {}: leader {} equivocated at view {} sequence {}", r.self, leader, first.getView(),
          first.getSequence());
      r.addEvidence(new Equivocation(leader, first.getView(), first.getSequence(),
          ConsensusMessage.newBuilder().setPrePrepare(first).build(),
          ConsensusMessage.newBuilder().setPrePrepare(second).build()));
    }
  }

}
