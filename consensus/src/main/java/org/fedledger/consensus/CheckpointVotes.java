package org.fedledger.consensus;

import java.util.function.BiPredicate;
import org.fedledger.proto.Checkpoint;
import org.fedledger.proto.CheckpointCertificate;
import org.fedledger.proto.ValidatorSignature;

/**
 * The CHECKPOINT messages received for one sequence, one per validator. Signatures are checked
 * only when 2f+1 agree and a certificate is about to be formed (the certificate is shown to
 * third parties: in VIEW-CHANGE and STATUS).
 */
final class CheckpointVotes {
  final long sequence;
  private final Checkpoint[] votes;
  private final boolean[] verified;

  CheckpointVotes(long sequence, int n) {
    this.sequence = sequence;
    this.votes = new Checkpoint[n];
    this.verified = new boolean[n];
  }

  void add(int from, Checkpoint cp, boolean alreadyVerified) {
    if (votes[from] != null && verified[from]) {
      return;
    }
    votes[from] = cp;
    verified[from] = alreadyVerified;
  }

  /** The certificate once {@code quorum} validly signed votes agree, else null; bad votes are removed. */
  CheckpointCertificate certificate(int quorum, BiPredicate<Integer, Checkpoint> verify) {
    for (int i = 0; i < votes.length; i++) {
      if (votes[i] == null || matching(votes[i]) < quorum) {
        continue;
      }
      Checkpoint model = votes[i];
      CheckpointCertificate.Builder cert = CheckpointCertificate.newBuilder().setSequence(sequence)
          .setBlockHash(model.getBlockHash()).setStateRoot(model.getStateRoot());
      for (int j = 0; j < votes.length; j++) {
        if (votes[j] == null || !same(votes[j], model)) {
          continue;
        }
        if (!verified[j] && !verify.test(j, votes[j])) {
          votes[j] = null;
          continue;
        }
        verified[j] = true;
        cert.addSignatures(ValidatorSignature.newBuilder().setValidator(j).setSignature(votes[j].getSignature()));
      }
      if (cert.getSignaturesCount() >= quorum) {
        return cert.build();
      }
      return null;
    }
    return null;
  }

  private int matching(Checkpoint model) {
    int c = 0;
    for (Checkpoint v : votes) {
      if (v != null && same(v, model)) {
        c++;
      }
    }
    return c;
  }

  private static boolean same(Checkpoint a, Checkpoint b) {
    return a.getBlockHash().equals(b.getBlockHash()) && a.getStateRoot().equals(b.getStateRoot());
  }
}
