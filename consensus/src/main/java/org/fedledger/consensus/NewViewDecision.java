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
 *
 * <p>VIEW-CHANGEs name blocks by hash only; the blocks come apart ({@link BlockSource}), and the
 * link test reads each chosen block's header. So the decision is a function of the VIEW-CHANGEs
 * and of the blocks their hashes name (the same for every replica: a hash authenticates its
 * block): rules A1/A2/B pick hashes, then the link test needs every picked block above
 * {@code committedThrough} (the deciding replica's stable checkpoint). A pick at or below it is
 * the block committed there (2f+1 signed that state, so f+1 correct replicas committed it, and
 * A1/A2 can pick nothing else), and the committed chain links: its block is not needed. Without
 * a needed block the result names the {@link Result#missing} ones, to be fetched.
 */
final class NewViewDecision {
  private NewViewDecision() {}

  /** One VIEW-CHANGE, parsed. */
  record Vote(int replica, ViewChangeBody body) {}

  /** A block chosen for re-proposal; {@code block} is null at or below {@code committedThrough}. */
  record Chosen(long sequence, Hash hash, Block block) {}

  /** A block (sequence, hash) the decision needs and the deciding replica does not hold. */
  record Missing(long sequence, Hash hash) {}

  /** Where the deciding replica looks up a block it holds (checked against its hash), or null. */
  interface BlockSource {
    Block get(long sequence, Hash hash);
  }

  /**
   * The decision: complete or not; the checkpoint; the re-proposed blocks in sequence order;
   * when incomplete for lack of blocks (not of VIEW-CHANGEs), the blocks to fetch.
   */
  record Result(boolean complete, CheckpointCertificate checkpoint, List<Chosen> chosen, List<Missing> missing) {
    boolean needsBlocks() {
      return !missing.isEmpty();
    }
  }

  static Result decide(List<Vote> votes, int f, int logBlocks, BlockSource blocks, long committedThrough) {
    int quorum = 2 * f + 1;
    CheckpointCertificate checkpoint = null;
    for (Vote v : votes) {
      CheckpointCertificate c = v.body().getStableCheckpoint();
      if (checkpoint == null || c.getSequence() > checkpoint.getSequence()) {
        checkpoint = c;
      }
    }
    if (votes.size() < quorum || checkpoint == null) {
      return new Result(false, checkpoint, List.of(), List.of());
    }
    long h = checkpoint.getSequence();
    List<PreparedEntry> picks = new ArrayList<>();
    for (long s = h + 1; s <= h + logBlocks; s++) {
      PreparedEntry pick = choose(votes, s, f);
      if (pick == null) {
        if (countWithoutPrepared(votes, s) >= quorum) {
          break; // rule B: nothing at s committed anywhere
        }
        return new Result(false, checkpoint, List.of(), List.of());
      }
      picks.add(pick);
    }
    ByteString previous = checkpoint.getBlockHash();
    List<Chosen> chosen = new ArrayList<>();
    List<Missing> missing = new ArrayList<>();
    for (PreparedEntry pick : picks) {
      long s = pick.getSequence();
      Hash hash = Hash.of(pick.getBlockHash());
      if (s <= committedThrough) {
        chosen.add(new Chosen(s, hash, null)); // the committed block: it links (see the class doc)
        previous = pick.getBlockHash();
        continue;
      }
      Block block = blocks.get(s, hash);
      if (block == null || !missing.isEmpty()) {
        if (block == null) {
          missing.add(new Missing(s, hash));
        }
        continue; // the link test waits for the missing block; the later picks are fetched meanwhile
      }
      BlockHeader header = ProposalCheck.header(block);
      if (header == null || (!previous.isEmpty() && !header.getPreviousHash().equals(previous))) {
        break; // does not extend the chosen chain: it cannot have committed
      }
      chosen.add(new Chosen(s, hash, block));
      previous = pick.getBlockHash();
    }
    if (!missing.isEmpty()) {
      return new Result(false, checkpoint, List.of(), List.copyOf(missing));
    }
    return new Result(true, checkpoint, chosen, List.of());
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
