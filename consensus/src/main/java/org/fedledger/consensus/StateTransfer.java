package org.fedledger.consensus;

import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.BlockRequest;
import org.fedledger.proto.BlockResponse;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.CheckpointCertificate;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.ConsensusMessage;

/**
 * State transfer: a replica that is behind (restarted, partitioned, started empty, or below a
 * stable checkpoint) asks one peer at a time for committed blocks, and moves to the next peer
 * when the current one does not answer in time (it crashed or lies).
 *
 * <p>Nothing a peer sends is trusted: a response is accepted up to its highest block that is
 * anchored, either by a commit certificate with 2f+1 valid signatures or by a verified stable
 * checkpoint certificate naming its hash; every block below the anchor must hash-link down to
 * this replica's committed head. So one valid certificate at the top vouches for the whole
 * batch, including blocks that are not certified (their certificates have no signatures, see
 * {@link Certification}); a certificate that does carry signatures below the anchor is verified
 * too, so that every certificate handed to the driver has 2f+1 valid signatures or none.
 *
 * <p>Certified blocks occur at least every K blocks, so a response of at least K blocks always
 * reaches one (the replica asks for max(transferBatchBlocks, K)). Above the newest certified
 * block a chain may end in up to K-1 blocks that are not certified (or a server may cut its
 * response short): those are accepted when f+1 distinct peers served the same block at that
 * height (one of them is honest and has committed it: Castro-Liskov's weak certificate), so a
 * replica is never stuck behind blocks without certificates.
 */
final class StateTransfer {
  private static final int ANCHOR_ATTEMPTS_MAX = 3;

  private final Replica r;
  private final long[] claimed;
  private CheckpointCertificate knownCheckpoint;
  private int peer = -1;
  private long deadlineTick;
  private int rotation;
  private long blocksFetched;
  private long requests;
  private long behindSinceTick = -1;
  private long behindAtHeight = -1;
  /** A transfer is under way: requested and not yet caught up. */
  private boolean inTransfer;
  private long fetchedThisTransfer;
  private boolean peerLostThisTransfer;
  private long transfersCompleted;
  private long completedAfterPeerLoss;
  private long peerTimeouts;
  /** Per peer: the hashes (by height, above our head) of the blocks of its last response without an anchor. */
  private final java.util.TreeMap<Long, Hash>[] offered;
  private long weaklyAnchored;
  /** Set by {@link #anchor}: the anchor's own commit certificate verified (not only a checkpoint). */
  private boolean anchorCertificateVerified;

  StateTransfer(Replica r) {
    this.r = r;
    this.claimed = new long[r.n];
    @SuppressWarnings("unchecked")
    java.util.TreeMap<Long, Hash>[] o = new java.util.TreeMap[r.n];
    for (int i = 0; i < r.n; i++) {
      o[i] = new java.util.TreeMap<>();
    }
    this.offered = o;
  }

  /** Responses accepted on f+1 matching peers rather than on a certificate (uncertified chain tails). */
  long weaklyAnchored() {
    return weaklyAnchored;
  }

  long blocksFetched() {
    return blocksFetched;
  }

  long requests() {
    return requests;
  }

  /** Transfers that fetched at least one block and then caught up with every peer's claim. */
  long transfersCompleted() {
    return transfersCompleted;
  }

  /** Of {@link #transfersCompleted()}: those during which a serving peer stopped answering. */
  long completedAfterPeerLoss() {
    return completedAfterPeerLoss;
  }

  /** Requests that went unanswered until their deadline (the peer crashed, lagged or lied). */
  long peerTimeouts() {
    return peerTimeouts;
  }

  /** Peer {@code from} (or -1: a certificate) says the chain reaches at least {@code height}. */
  void hint(int from, long height) {
    if (from >= 0 && from < r.n && height > claimed[from]) {
      claimed[from] = height;
    }
  }

  /** A stable checkpoint certificate above our head, offered by a peer; kept when it verifies. */
  void offerCheckpoint(int from, CheckpointCertificate cert) {
    if (knownCheckpoint != null && cert.getSequence() <= knownCheckpoint.getSequence()) {
      return;
    }
    if (!r.statements.verifyCheckpoint(cert)) {
      r.drop(Drop.BAD_SIGNATURE, from, "status checkpoint " + cert.getSequence());
      return;
    }
    knownCheckpoint = cert;
    hint(from, cert.getSequence());
  }

  void onTick() {
    if (peer >= 0 && r.ticks >= deadlineTick) {
      peer = -1; // no answer: try another peer
      peerTimeouts++;
      peerLostThisTransfer = inTransfer;
    }
    if (peer < 0) {
      if (behind()) {
        request();
      } else {
        finish();
      }
    }
  }

  /** Not behind any more: a transfer under way (if it fetched anything) has completed. */
  private void finish() {
    if (inTransfer && fetchedThisTransfer > 0) {
      transfersCompleted++;
      if (peerLostThisTransfer) {
        completedAfterPeerLoss++;
      }
    }
    inTransfer = false;
    fetchedThisTransfer = 0;
    peerLostThisTransfer = false;
  }

  private long head() {
    return r.committedHead.height();
  }

  private boolean behind() {
    long head = head();
    if (head < r.low() || (knownCheckpoint != null && head < knownCheckpoint.getSequence())) {
      return true;
    }
    long best = bestClaim();
    if (best <= head) {
      behindSinceTick = -1;
      return false;
    }
    if (behindSinceTick < 0 || head > behindAtHeight) {
      behindSinceTick = r.ticks; // the normal case may still deliver these blocks: give it a moment
      behindAtHeight = head;
    }
    return best - head > r.config.windowBlocks() || r.ticks - behindSinceTick >= r.config.retransmitTicks();
  }

  private long bestClaim() {
    long best = 0;
    for (long c : claimed) {
      best = Math.max(best, c);
    }
    return best;
  }

  private void request() {
    long head = head();
    int chosen = -1;
    for (int k = 0; k < r.n; k++) {
      int p = (rotation + k) % r.n;
      if (p != r.self && claimed[p] > head) {
        chosen = p;
        break;
      }
    }
    if (chosen < 0) {
      chosen = (rotation % r.n == r.self) ? (rotation + 1) % r.n : rotation % r.n;
    }
    rotation = chosen + 1;
    peer = chosen;
    deadlineTick = r.ticks + 2L * r.config.retransmitTicks();
    requests++;
    inTransfer = true;
    r.sendTo(chosen, ConsensusMessage.newBuilder().setBlockRequest(BlockRequest.newBuilder()
        .setFromHeight(head + 1).setCountMax(countMax())).build());
  }

  /** Blocks asked for at once: at least K, so that a full response reaches a certified block. */
  private int countMax() {
    return Math.max(r.config.transferBatchBlocks(), r.config.checkpointIntervalBlocks());
  }

  void onResponse(int from, BlockResponse resp) {
    hint(from, resp.getHeadHeight());
    long head = head();
    List<CertifiedBlock> blocks = new ArrayList<>();
    for (CertifiedBlock b : resp.getBlocksList()) {
      BlockHeader h = ProposalCheck.header(b.getBlock());
      if (h == null) {
        r.drop(Drop.INVALID_TRANSFER, from, "unparsable block");
        peer = from == peer ? -1 : peer;
        return;
      }
      if (h.getHeight() > head) {
        blocks.add(b);
      }
    }
    if (blocks.isEmpty()) {
      if (from == peer) {
        peer = -1;
      }
      return;
    }
    for (java.util.TreeMap<Long, Hash> o : offered) {
      o.headMap(head, true).clear();
    }
    anchorCertificateVerified = false;
    int top = anchor(blocks, head);
    boolean certifiedTop = top >= 0 && anchorCertificateVerified;
    if (top < 0) {
      top = weakAnchor(from, blocks, head);
      if (top < 0) {
        // No certificate in reach (an uncertified chain tail, or a response cut short): the next
        // request goes to another peer (the rotation moved on), whose answer may confirm these blocks.
        if (from == peer) {
          peer = -1;
        }
        return;
      }
      weaklyAnchored++;
    }
    if (!apply(from, blocks, top, certifiedTop)) {
      if (from == peer) {
        peer = -1;
      }
      return;
    }
    if (from == peer) {
      peer = -1;
    }
    if (behind()) {
      request();
    } else {
      finish();
    }
  }

  /** Index of the highest block that a valid certificate anchors, or -1. */
  private int anchor(List<CertifiedBlock> blocks, long head) {
    int attempts = 0;
    for (int i = blocks.size() - 1; i >= 0 && attempts < ANCHOR_ATTEMPTS_MAX; i--) {
      CertifiedBlock b = blocks.get(i);
      long height = head + 1 + i;
      Hash hash = Blocks.hash(b.getBlock());
      if (matches(r.stable, height, hash) || matches(knownCheckpoint, height, hash)) {
        return i;
      }
      if (b.getCertificate().getSignaturesCount() >= r.quorum) {
        attempts++;
        if (r.statements.verifyCommit(b.getCertificate(), height, hash)) {
          anchorCertificateVerified = true;
          return i;
        }
      }
    }
    return -1;
  }

  /**
   * Index of the highest block of {@code blocks} that f+1 distinct peers (this one included)
   * served with the same hash, or -1. Records this response's hashes for later responses.
   */
  private int weakAnchor(int from, List<CertifiedBlock> blocks, long head) {
    java.util.TreeMap<Long, Hash> mine = offered[from];
    mine.clear();
    for (int i = 0; i < blocks.size(); i++) {
      mine.put(head + 1 + i, Blocks.hash(blocks.get(i).getBlock()));
    }
    for (int i = blocks.size() - 1; i >= 0; i--) {
      long height = head + 1 + i;
      Hash hash = mine.get(height);
      int agree = 0;
      for (java.util.TreeMap<Long, Hash> o : offered) {
        if (hash.equals(o.get(height))) {
          agree++;
        }
      }
      if (agree >= r.f + 1) {
        return i;
      }
    }
    return -1;
  }

  private static boolean matches(CheckpointCertificate cp, long height, Hash hash) {
    return cp != null && cp.getSequence() == height && cp.getBlockHash().equals(hash.bytes());
  }

  /**
   * Checks the hash chain from our head to blocks[top] and the certificates, and commits them.
   * {@code topVerified}: blocks[top] was anchored by its own (verified) commit certificate or a
   * checkpoint.
   */
  private boolean apply(int from, List<CertifiedBlock> blocks, int top, boolean topVerified) {
    ChainHead parent = r.committedHead;
    List<ChainHead> heads = new ArrayList<>(top + 1);
    List<List<ParsedTx>> txs = new ArrayList<>(top + 1);
    for (int i = 0; i <= top; i++) {
      CertifiedBlock b = blocks.get(i);
      BlockHeader h = ProposalCheck.header(b.getBlock());
      if (h.getHeight() != parent.height() + 1 || !h.getPreviousHash().equals(parent.hash().bytes())) {
        r.drop(Drop.INVALID_TRANSFER, from, "block " + h.getHeight() + " does not link to " + parent.height());
        return false;
      }
      CommitCertificate cert = b.getCertificate();
      Hash hash = Blocks.hash(b.getBlock());
      if (cert.getHeight() != h.getHeight() || !cert.getBlockHash().equals(hash.bytes())) {
        r.drop(Drop.INVALID_TRANSFER, from, "block " + h.getHeight() + " comes with another block's certificate");
        return false;
      }
      if (cert.getSignaturesCount() == 0) {
        if (Certification.certified(h.getHeight(), r.config.checkpointIntervalBlocks(), false)) {
          r.drop(Drop.INVALID_TRANSFER, from, "block " + h.getHeight() + " (a multiple of K) without signatures");
          return false;
        }
      } else if (!(i == top && topVerified) && !r.statements.verifyCommit(cert, h.getHeight(), hash)) {
        r.drop(Drop.INVALID_TRANSFER, from, "block " + h.getHeight() + " comes with an invalid certificate");
        return false;
      }
      ProposalCheck.Result check = r.proposals.check(b.getBlock(), parent, false, 0, r.pool::get);
      if (!check.ok()) {
        r.drop(Drop.INVALID_TRANSFER, from, "block " + h.getHeight() + ": " + check.problem());
        return false;
      }
      List<ParsedTx> parsed = check.proposal().txs();
      ChainHead next = new ChainHead(h.getHeight(), hash, h.getTimestampMillis());
      heads.add(next);
      txs.add(parsed);
      parent = next;
    }
    for (int i = 0; i <= top; i++) {
      CertifiedBlock b = blocks.get(i);
      if (b.hasProof()) {
        b = b.toBuilder().clearProof().build(); // a serving node's FinalityProof is never stored
      }
      ChainHead h = heads.get(i);
      reconcileSlot(h, b, txs.get(i));
      r.emit(b, txs.get(i), h);
      blocksFetched++;
      fetchedThisTransfer++;
    }
    r.afterTransfer();
    return true;
  }

  /** The log entry at a transferred height now holds the committed block. */
  private void reconcileSlot(ChainHead h, CertifiedBlock b, List<ParsedTx> parsed) {
    Slot s = r.slots.get(h.height());
    if (s == null || (s.hash != null && s.hash.equals(h.hash()))) {
      return;
    }
    BlockHeader header = ProposalCheck.header(b.getBlock());
    long certView = b.getCertificate().getView();
    s.accept(certView, b.getBlock(), header, h.hash(), parsed, null, b.getCertificate().getSignaturesCount() > 0);
    s.preparedView = certView;
    s.preparedHash = h.hash();
    s.preparedBlock = b.getBlock();
    s.votesFor(-2);
    r.persistSlot(s);
    // Synced (rare): the ledger store may make the block durable before an unsynced record would be,
    // and a restarted replica takes every log entry at or below its stored head for the stored block.
    r.requireSync();
  }

  /** Exposed for tests: the peer currently asked, or -1. */
  int peer() {
    return peer;
  }
}
