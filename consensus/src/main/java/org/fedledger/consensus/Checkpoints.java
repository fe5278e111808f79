package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import java.util.TreeMap;
import org.fedledger.consensus.Ready.Outbound;
import org.fedledger.consensus.Ready.Persist;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.CheckpointCertificate;
import org.fedledger.proto.CheckpointRecord;
import org.fedledger.proto.ConsensusMessage;

/**
 * Checkpoints of a {@link Replica} (Castro-Liskov §4.3): after executing every K-th block a
 * replica signs and sends CHECKPOINT with the state root; 2f+1 matching, validly signed ones make
 * it stable, the low watermark moves and the log below it is discarded.
 */
final class Checkpoints {
  private final Replica r;
  final TreeMap<Long, CheckpointVotes> checkpointVotes = new TreeMap<>();
  Ready.Outbound ownCheckpoint;

  Checkpoints(Replica r) {
    this.r = r;
  }

  void onExecuted(Input.Executed e) {
    if (e.height() <= r.executedHeight) {
      return;
    }
    Invariants.check(e.height() == r.executedHeight + 1 && e.height() <= r.committedHead.height(),
        "Executed(" + e.height() + ") out of order: executed " + r.executedHeight + ", committed "
            + r.committedHead.height());
    r.executedHeight = e.height();
    r.executedRoot = e.stateRoot();
    r.executedRoots.put(e.height(), e.stateRoot());
    while (r.executedRoots.size() > r.config.logBlocks() + 1) {
      r.executedRoots.pollFirstEntry();
    }
    if (e.height() == r.stable.getSequence() && r.stable.getSequence() > 0) {
      Invariants.check(r.stable.getStateRoot().equals(e.stateRoot().bytes()),
          "state root at stable checkpoint " + e.height() + " differs from 2f+1 validators'");
    }
    if (e.height() % r.config.checkpointIntervalBlocks() == 0 && e.height() > r.low()) {
      ByteString sig = r.config.keys().sign(r.statements.checkpoint(e.height(), e.blockHash().bytes(),
          e.stateRoot().bytes()));
      org.fedledger.proto.Checkpoint cp = org.fedledger.proto.Checkpoint.newBuilder().setSequence(e.height())
          .setBlockHash(e.blockHash().bytes()).setStateRoot(e.stateRoot().bytes()).setSignature(sig).build();
      ConsensusMessage msg = ConsensusMessage.newBuilder().setCheckpoint(cp).build();
      ownCheckpoint = new Outbound(Outbound.BROADCAST, msg);
      r.out(ownCheckpoint);
      checkpointVotes(e.height()).add(r.self, cp, true);
      maybeStable(e.height());
    }
  }

  void onCheckpoint(int from, org.fedledger.proto.Checkpoint cp) {
    long s = cp.getSequence();
    if (s <= r.low()) {
      r.count(Drop.STALE);
      return;
    }
    if (s % r.config.checkpointIntervalBlocks() != 0 || cp.getBlockHash().size() != Hash.LENGTH
        || cp.getStateRoot().size() != Hash.LENGTH || cp.getSignature().size() != 64) {
      r.drop(Drop.MALFORMED, from, "checkpoint " + s);
      return;
    }
    if (s > r.low() + 4L * r.config.logBlocks()) {
      r.drop(Drop.OUT_OF_WINDOW, from, "checkpoint " + s);
      r.transfer.hint(from, s);
      return;
    }
    checkpointVotes(s).add(from, cp, false);
    maybeStable(s);
  }

  private CheckpointVotes checkpointVotes(long s) {
    return checkpointVotes.computeIfAbsent(s, x -> new CheckpointVotes(s, r.n));
  }

  private void maybeStable(long s) {
    CheckpointVotes votes = checkpointVotes.get(s);
    CheckpointCertificate cert = votes == null ? null : votes.certificate(r.quorum, this::verifyCheckpointVote);
    if (cert != null) {
      becomeStable(cert);
    }
  }

  private boolean verifyCheckpointVote(int from, org.fedledger.proto.Checkpoint cp) {
    boolean ok = r.statements.verify(from, r.statements.checkpoint(cp.getSequence(), cp.getBlockHash(),
        cp.getStateRoot()), cp.getSignature());
    if (!ok) {
      r.drop(Drop.BAD_SIGNATURE, from, "checkpoint " + cp.getSequence());
    }
    return ok;
  }

  /** Makes {@code cert} the stable checkpoint: the low watermark moves and the log below is discarded (§4.3). */
  void becomeStable(CheckpointCertificate cert) {
    long s = cert.getSequence();
    if (s <= r.low()) {
      return;
    }
    Hash ours = r.executedRoots.get(s);
    Invariants.check(ours == null || ours.bytes().equals(cert.getStateRoot()),
        "state root at checkpoint " + s + " differs from 2f+1 validators'");
    r.stable = cert;
    r.persistOp(new Persist(LogKeys.CHECKPOINT, CheckpointRecord.newBuilder().setCertificate(cert).build()
        .toByteString()));
    r.slots.headMap(s, true).clear();
    r.forgetThrough(s);
    checkpointVotes.headMap(s, true).clear();
    if (ownCheckpoint != null && ownCheckpoint.msg().getCheckpoint().getSequence() <= s) {
      ownCheckpoint = null;
    }
    r.commitFrontier = Math.max(r.commitFrontier, s);
    if (r.committedHead.height() < s) {
      r.transfer.hint(-1, s);
    }
  }

}
