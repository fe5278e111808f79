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
 * batch (normal-case commit signatures are not verified on receipt, so an individual block's
 * certificate may carry a Byzantine validator's bad signature).
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

  StateTransfer(Replica r) {
    this.r = r;
    this.claimed = new long[r.n];
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
        .setFromHeight(head + 1).setCountMax(r.config.transferBatchBlocks())).build());
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
    int top = anchor(blocks, head);
    if (top < 0) {
      r.drop(Drop.INVALID_TRANSFER, from, "no block of the response is certified");
      if (from == peer) {
        peer = -1;
      }
      return;
    }
    if (!apply(from, blocks, top)) {
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
          return i;
        }
      }
    }
    return -1;
  }

  private static boolean matches(CheckpointCertificate cp, long height, Hash hash) {
    return cp != null && cp.getSequence() == height && cp.getBlockHash().equals(hash.bytes());
  }

  /** Checks the hash chain from our head to blocks[top] and commits them. */
  private boolean apply(int from, List<CertifiedBlock> blocks, int top) {
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
      if (cert.getHeight() != h.getHeight() || !cert.getBlockHash().equals(hash.bytes())
          || cert.getSignaturesCount() < r.quorum) {
        r.drop(Drop.INVALID_TRANSFER, from, "block " + h.getHeight() + " comes with another block's certificate");
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
    s.accept(certView, b.getBlock(), header, h.hash(), parsed, null);
    s.preparedView = certView;
    s.preparedHash = h.hash();
    s.preparedBlock = b.getBlock();
    s.votesFor(-2);
    r.persistSlot(s);
  }

  /** Exposed for tests: the peer currently asked, or -1. */
  int peer() {
    return peer;
  }
}
