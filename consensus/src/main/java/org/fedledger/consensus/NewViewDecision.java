package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CheckpointCertificate;
import org.fedledger.proto.PrePreparedEntry;
import org.fedledger.proto.PreparedEntry;
import org.fedledger.proto.ViewChangeBody;

/**
 * The new leader's decision, recomputed by every replica from the same VIEW-CHANGEs (TOCS 2002
 * §4.4, the variant whose prepared claims need no per-vote signatures):
 * <ul>
 *   <li>the checkpoint is the highest stable checkpoint any VIEW-CHANGE proves;
 *   <li>for each sequence s above it, block d prepared in view v is chosen when (A1) 2f+1
 *       VIEW-CHANGEs report no prepared entry for s of a higher view or of the same view with
 *       another block, and (A2) f+1 report a PRE-PREPARE of d for s in view v or later; among
 *       several, the highest view (then the lowest hash) wins;
 *   <li>(B) when 2f+1 report nothing prepared for s, nothing at s or above can have committed;
 *   <li>otherwise the decision waits for more VIEW-CHANGEs.
 * </ul>
 * Blocks are hash-linked, so the decision stops at the first sequence with nothing chosen or
 * whose chosen block does not extend the one below: a replica sends COMMIT only for a block
 * whose ancestors it prepared, so nothing at or above that point can have committed. The new
 * leader proposes fresh blocks from there.
 */
final class NewViewDecision {
  private NewViewDecision() {}

  /** One VIEW-CHANGE, parsed. */
  record Vote(int replica, ViewChangeBody body) {}

  /** A block chosen for re-proposal. */
  record Chosen(long sequence, Hash hash, Block block) {}

  /** The decision: complete or not; the checkpoint; the re-proposed blocks in sequence order. */
  record Result(boolean complete, CheckpointCertificate checkpoint, List<Chosen> chosen) {}

  static Result decide(List<Vote> votes, int f, int logBlocks) {
    int quorum = 2 * f + 1;
    CheckpointCertificate checkpoint = null;
    for (Vote v : votes) {
      CheckpointCertificate c = v.body().getStableCheckpoint();
      if (checkpoint == null || c.getSequence() > checkpoint.getSequence()) {
        checkpoint = c;
      }
    }
    if (votes.size() < quorum || checkpoint == null) {
      return new Result(false, checkpoint, List.of());
    }
    long h = checkpoint.getSequence();
    ByteString previous = checkpoint.getBlockHash();
    List<Chosen> chosen = new ArrayList<>();
    for (long s = h + 1; s <= h + logBlocks; s++) {
      PreparedEntry pick = choose(votes, s, f);
      if (pick == null) {
        if (countWithoutPrepared(votes, s) >= quorum) {
          break; // rule B: nothing at s committed anywhere
        }
        return new Result(false, checkpoint, List.of());
      }
      BlockHeader header = ProposalCheck.header(pick.getBlock());
      if (header == null || (!previous.isEmpty() && !header.getPreviousHash().equals(previous))) {
        break; // does not extend the chosen chain: it cannot have committed
      }
      chosen.add(new Chosen(s, Hash.of(pick.getBlockHash()), pick.getBlock()));
      previous = pick.getBlockHash();
    }
    return new Result(true, checkpoint, chosen);
  }

  private static PreparedEntry choose(List<Vote> votes, long s, int f) {
    PreparedEntry best = null;
    for (Vote v : votes) {
      PreparedEntry e = prepared(v.body(), s);
      if (e == null || (best != null && !better(e, best))) {
        continue;
      }
      if (a1(votes, s, e, f) && a2(votes, s, e, f)) {
        best = e;
      }
    }
    return best;
  }

  private static boolean better(PreparedEntry a, PreparedEntry b) {
    if (a.getView() != b.getView()) {
      return a.getView() > b.getView();
    }
    return Hash.of(a.getBlockHash()).compareTo(Hash.of(b.getBlockHash())) < 0;
  }

  private static boolean a1(List<Vote> votes, long s, PreparedEntry e, int f) {
    int count = 0;
    for (Vote v : votes) {
      PreparedEntry other = prepared(v.body(), s);
      if (other == null || other.getView() < e.getView()
          || (other.getView() == e.getView() && other.getBlockHash().equals(e.getBlockHash()))) {
        count++;
      }
    }
    return count >= 2 * f + 1;
  }

  private static boolean a2(List<Vote> votes, long s, PreparedEntry e, int f) {
    int count = 0;
    for (Vote v : votes) {
      for (PrePreparedEntry q : v.body().getPrePreparedList()) {
        if (q.getSequence() == s && q.getView() >= e.getView() && q.getBlockHash().equals(e.getBlockHash())) {
          count++;
          break;
        }
      }
    }
    return count >= f + 1;
  }

  private static int countWithoutPrepared(List<Vote> votes, long s) {
    int count = 0;
    for (Vote v : votes) {
      if (prepared(v.body(), s) == null) {
        count++;
      }
    }
    return count;
  }

  static PreparedEntry prepared(ViewChangeBody body, long s) {
    for (PreparedEntry e : body.getPreparedList()) {
      if (e.getSequence() == s) {
        return e;
      }
    }
    return null;
  }
}
