package org.fedledger.consensus.sim;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.SplittableRandom;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.Checkpoint;
import org.fedledger.proto.Commit;
import org.fedledger.proto.CommitStatement;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.Prepare;
import org.fedledger.proto.PrePreparedEntry;
import org.fedledger.proto.PreparedEntry;
import org.fedledger.proto.ProposalStatement;
import org.fedledger.proto.ViewChange;
import org.fedledger.proto.ViewChangeBlock;
import org.fedledger.proto.ViewChangeBody;
import org.fedledger.proto.Envelope;

/**
 * Rewrites what a Byzantine validator sends, per destination. The validator runs the honest
 * replica; only its outbound messages lie.
 */
final class Byzantine {
  private Byzantine() {}

  static List<ConsensusMessage> rewrite(Behavior b, Cluster c, SimHost h, int to, ConsensusMessage msg) {
    return switch (b) {
      case HONEST, TWINS -> List.of(msg);
      case EQUIVOCATE -> List.of(equivocate(c, h, to, msg));
      case WITHHOLD -> msg.hasPrePrepare() || msg.hasNewView() ? List.of() : List.of(msg);
      case RANDOM_VOTES -> List.of(randomVote(c.random, msg));
      case GARBAGE -> List.of(msg);
      case NEVER_CERTIFY -> List.of(certifyAs(c, h, msg, false));
      case CERTIFY_ALL -> List.of(certifyAs(c, h, msg, true));
      case JUNK_COMMIT_SIGNATURES -> List.of(junkCommitSignature(c.random, msg));
      case SIGN_UNCERTIFIED -> List.of(signCommit(c, h, msg));
      case SPLIT_CERTIFY -> List.of(splitCertify(c, h, to, msg));
    };
  }

  /**
   * What a Byzantine validator's replica is given of an incoming message. A leader that lies
   * about PrePrepare.certify runs code whose rule matches its lie: the simulator models that by
   * handing its (honest) replica the peers' COMMITs for its own proposals in the shape its replica
   * expects (it holds every key), so that it commits along as a consistent liar would.
   */
  static ConsensusMessage inbound(Behavior b, Cluster c, SimHost h, int from, ConsensusMessage msg) {
    if (b == Behavior.SPLIT_CERTIFY && msg.hasPrepare()) {
      Prepare p = msg.getPrepare();
      Boolean asked = h.proposedCertify.get(p.getView() + "/" + p.getSequence());
      return asked == null ? msg : ConsensusMessage.newBuilder().setPrepare(p.toBuilder().setCertify(asked)).build();
    }
    if ((b != Behavior.NEVER_CERTIFY && b != Behavior.CERTIFY_ALL && b != Behavior.SPLIT_CERTIFY) || !msg.hasCommit()
        || Long.remainderUnsigned(msg.getCommit().getView(), c.n) != h.index
        || msg.getCommit().getSequence() % h.config.checkpointIntervalBlocks() == 0) {
      return msg;
    }
    Commit commit = msg.getCommit();
    Boolean asked = h.proposedCertify.get(commit.getView() + "/" + commit.getSequence());
    if (asked == null || asked == !commit.getSignature().isEmpty()) {
      return msg; // not its proposal, or already in the shape its replica expects
    }
    if (commit.getSignature().isEmpty()) {
      return ConsensusMessage.newBuilder().setCommit(commit.toBuilder().setSignature(commitSignature(c, from,
          commit))).build();
    }
    return ConsensusMessage.newBuilder().setCommit(commit.toBuilder().clearSignature()).build();
  }

  private static ByteString commitSignature(Cluster c, int signer, Commit commit) {
    return c.sim.validatorKeys.get(signer).sign(CommitStatement.newBuilder().setChainId(c.sim.chain.chainId())
        .setView(commit.getView()).setHeight(commit.getSequence()).setBlockHash(commit.getBlockHash()).build()
        .toByteString());
  }

  /**
   * As leader, sets PrePrepare.certify to {@code certify} whatever the replica chose, and makes
   * its own COMMITs for its proposals match (signed iff certified), so that its lie is consistent.
   */
  private static ConsensusMessage certifyAs(Cluster c, SimHost h, ConsensusMessage msg, boolean certify) {
    if (msg.hasPrePrepare()) {
      h.proposedCertify.put(msg.getPrePrepare().getView() + "/" + msg.getPrePrepare().getSequence(),
          msg.getPrePrepare().getCertify());
      return ConsensusMessage.newBuilder().setPrePrepare(signed(c, h, msg.getPrePrepare(), certify)).build();
    }
    if (msg.hasCommit() && Long.remainderUnsigned(msg.getCommit().getView(), c.n) == h.index) {
      Commit commit = msg.getCommit();
      boolean certified = certify || commit.getSequence() % h.config.checkpointIntervalBlocks() == 0;
      if (!certified) {
        return ConsensusMessage.newBuilder().setCommit(commit.toBuilder().clearSignature()).build();
      }
      return signCommit(c, h, msg);
    }
    return msg;
  }

  /**
   * As leader, tells odd destinations the opposite certify flag of what its replica chose (each
   * PRE-PREPARE validly signed with the flag it carries), and sends each replica its own COMMITs
   * in the shape that replica was told: with the flag under the signature alone, the honest
   * replicas would prepare one block with two flags and sign their COMMITs differently.
   */
  private static ConsensusMessage splitCertify(Cluster c, SimHost h, int to, ConsensusMessage msg) {
    if (msg.hasPrePrepare()) {
      PrePrepare pp = msg.getPrePrepare();
      h.proposedCertify.put(pp.getView() + "/" + pp.getSequence(), pp.getCertify());
      return ConsensusMessage.newBuilder().setPrePrepare(signed(c, h, pp, pp.getCertify() ^ (to % 2 == 1))).build();
    }
    if (msg.hasCommit() && Long.remainderUnsigned(msg.getCommit().getView(), c.n) == h.index) {
      Commit commit = msg.getCommit();
      Boolean asked = h.proposedCertify.get(commit.getView() + "/" + commit.getSequence());
      if (asked == null) {
        return msg; // a NEW-VIEW re-proposal: its flag is every replica's own rule
      }
      boolean told = asked ^ (to % 2 == 1);
      if (told || commit.getSequence() % h.config.checkpointIntervalBlocks() == 0) {
        return signCommit(c, h, msg);
      }
      return ConsensusMessage.newBuilder().setCommit(commit.toBuilder().clearSignature()).build();
    }
    return msg;
  }

  /** {@code pp} with PrePrepare.certify = {@code certify}, signed by its (lying) leader as such. */
  private static PrePrepare signed(Cluster c, SimHost h, PrePrepare pp, boolean certify) {
    ByteString sig = c.sim.validatorKeys.get(h.index).sign(ProposalStatement.newBuilder()
        .setChainId(c.sim.chain.chainId()).setView(pp.getView()).setSequence(pp.getSequence())
        .setBlockHash(Blocks.hash(pp.getBlock()).bytes()).setCertify(certify).build().toByteString());
    return pp.toBuilder().setCertify(certify).setSignature(sig).build();
  }

  /** A COMMIT that carries a signature gets a junk, empty or short one instead. */
  private static ConsensusMessage junkCommitSignature(SplittableRandom random, ConsensusMessage msg) {
    if (!msg.hasCommit() || msg.getCommit().getSignature().isEmpty()) {
      return msg;
    }
    ByteString sig = switch (random.nextInt(3)) {
      case 0 -> Cluster.bytes(random, 64);
      case 1 -> ByteString.EMPTY;
      default -> Cluster.bytes(random, 1 + random.nextInt(63));
    };
    return ConsensusMessage.newBuilder().setCommit(msg.getCommit().toBuilder().setSignature(sig)).build();
  }

  /** A COMMIT without a signature gets a valid one (the statement signed honestly, where none is due). */
  private static ConsensusMessage signCommit(Cluster c, SimHost h, ConsensusMessage msg) {
    if (!msg.hasCommit() || !msg.getCommit().getSignature().isEmpty()) {
      return msg;
    }
    Commit commit = msg.getCommit();
    return ConsensusMessage.newBuilder().setCommit(commit.toBuilder().setSignature(commitSignature(c, h.index,
        commit))).build();
  }

  /** To odd destinations (mostly), a different block for the same (view, sequence), validly signed. */
  private static ConsensusMessage equivocate(Cluster c, SimHost h, int to, ConsensusMessage msg) {
    if (!msg.hasPrePrepare() || to % 2 == 0 || c.random.nextInt(4) == 0) {
      return msg;
    }
    PrePrepare pp = msg.getPrePrepare();
    BlockHeader header;
    try {
      header = BlockHeader.parseFrom(pp.getBlock().getHeader());
    } catch (InvalidProtocolBufferException e) {
      return msg;
    }
    BlockHeader other = header.toBuilder().setTimestampMillis(header.getTimestampMillis() + 1).build();
    Block block = pp.getBlock().toBuilder().setHeader(other.toByteString()).build();
    Hash hash = Blocks.hash(block);
    KeyPair keys = c.sim.validatorKeys.get(h.index);
    ByteString sig = keys.sign(ProposalStatement.newBuilder().setChainId(c.sim.chain.chainId()).setView(pp.getView())
        .setSequence(pp.getSequence()).setBlockHash(hash.bytes()).setCertify(pp.getCertify()).build().toByteString());
    return ConsensusMessage.newBuilder().setPrePrepare(pp.toBuilder().setBlock(block).setSignature(sig)).build();
  }

  private static ConsensusMessage randomVote(SplittableRandom random, ConsensusMessage msg) {
    int mode = random.nextInt(3);
    if (msg.hasPrepare()) {
      Prepare p = msg.getPrepare();
      Prepare.Builder b = p.toBuilder();
      if (mode == 0) {
        b.setBlockHash(Cluster.bytes(random, 32));
      } else if (mode == 1) {
        b.setView(Math.max(0, p.getView() - 1 - random.nextInt(3)));
      } else {
        b.setView(p.getView() + 1 + random.nextInt(3));
      }
      return ConsensusMessage.newBuilder().setPrepare(b).build();
    }
    if (msg.hasCommit()) {
      Commit p = msg.getCommit();
      Commit.Builder b = p.toBuilder();
      if (mode == 0) {
        b.setBlockHash(Cluster.bytes(random, 32));
      } else if (mode == 1) {
        b.setView(Math.max(0, p.getView() - 1 - random.nextInt(3)));
      } else {
        b.setSignature(Cluster.bytes(random, 64)); // a vote whose signature is junk
      }
      return ConsensusMessage.newBuilder().setCommit(b).build();
    }
    if (msg.hasCheckpoint()) {
      Checkpoint p = msg.getCheckpoint();
      return ConsensusMessage.newBuilder().setCheckpoint(p.toBuilder().setStateRoot(Cluster.bytes(random, 32))).build();
    }
    return msg;
  }

  /** Random bytes, or the message's bytes with some flipped. */
  static byte[] garbage(SplittableRandom random, ConsensusMessage msg) {
    if (random.nextBoolean()) {
      return Cluster.bytes(random, 1 + random.nextInt(200)).toByteArray();
    }
    byte[] b = msg.toByteArray();
    if (b.length == 0) {
      return b;
    }
    for (int k = 0; k < 1 + random.nextInt(4); k++) {
      b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
    }
    return b;
  }

  /** What a validator with {@code lie} sends instead of {@code msg} (after its {@link Behavior}'s rewrite). */
  static List<ConsensusMessage> lie(ViewChangeLie lie, Cluster c, SimHost h, ConsensusMessage msg) {
    switch (lie) {
      case PHANTOM_PREPARED -> {
        if (msg.hasViewChange()) {
          return List.of(ConsensusMessage.newBuilder().setViewChange(phantom(c, h, msg.getViewChange())).build());
        }
        return List.of(msg);
      }
      case WRONG_BLOCKS -> {
        if (!msg.hasViewChangeBlock()) {
          return List.of(msg);
        }
        c.viewChangeLies++;
        ViewChangeBlock vb = msg.getViewChangeBlock();
        Block wrong;
        switch (c.random.nextInt(3)) {
          case 0 -> {
            return List.of(); // never answers
          }
          case 1 -> wrong = vb.getBlock().toBuilder().addTransactions(Envelope.newBuilder()
              .setBody(Cluster.bytes(c.random, 40))).build(); // the same header (so the same hash), another body
          default -> wrong = vb.getBlock().toBuilder().setHeader(Cluster.bytes(c.random, 60)).build(); // another hash
        }
        return List.of(ConsensusMessage.newBuilder().setViewChangeBlock(vb.toBuilder().setBlock(wrong)).build());
      }
      default -> {
        return List.of(msg);
      }
    }
  }

  /**
   * {@code vc} re-signed with a phantom prepared (and pre-prepared) entry at one sequence of the log:
   * the same phantom for every destination and for a given view.
   */
  private static ViewChange phantom(Cluster c, SimHost h, ViewChange vc) {
    ViewChangeBody body;
    try {
      body = ViewChangeBody.parseFrom(vc.getBody());
    } catch (InvalidProtocolBufferException e) {
      return vc;
    }
    ViewChange cached = h.phantomViewChanges.get(body.getNewView());
    if (cached != null) {
      return cached;
    }
    long low = body.getStableCheckpoint().getSequence();
    long s = low + 1 + c.random.nextInt(Math.max(1, Math.min(4, h.config.logBlocks())));
    ByteString hash;
    if (c.random.nextBoolean()) {
      hash = Cluster.bytes(c.random, 32); // nobody holds it
    } else {
      BlockHeader header = BlockHeader.newBuilder().setChainId(c.sim.chain.chainId()).setHeight(s).setTxCount(1)
          .setProposer(h.index).build();
      Block invalid = Block.newBuilder().setHeader(header.toByteString())
          .addTransactions(Envelope.newBuilder().setBody(Cluster.bytes(c.random, 40))).build();
      hash = Blocks.hash(invalid).bytes();
      h.phantomBlocks.put(Hash.of(hash), invalid); // served on request: it names a block with a junk transaction
    }
    long view = Math.max(0, body.getNewView() - 1);
    ViewChangeBody.Builder b = body.toBuilder().clearPrepared().clearPrePrepared();
    boolean placed = false;
    for (PreparedEntry e : body.getPreparedList()) {
      if (!placed && e.getSequence() >= s) {
        b.addPrepared(PreparedEntry.newBuilder().setSequence(s).setView(view).setBlockHash(hash));
        placed = true;
      }
      if (e.getSequence() != s) {
        b.addPrepared(e);
      }
    }
    if (!placed) {
      b.addPrepared(PreparedEntry.newBuilder().setSequence(s).setView(view).setBlockHash(hash));
    }
    placed = false;
    for (PrePreparedEntry q : body.getPrePreparedList()) {
      if (!placed && q.getSequence() >= s) {
        b.addPrePrepared(PrePreparedEntry.newBuilder().setSequence(s).setView(view).setBlockHash(hash));
        placed = true;
      }
      b.addPrePrepared(q);
    }
    if (!placed) {
      b.addPrePrepared(PrePreparedEntry.newBuilder().setSequence(s).setView(view).setBlockHash(hash));
    }
    ByteString bytes = b.build().toByteString();
    ViewChange out = ViewChange.newBuilder().setBody(bytes).setSignature(c.sim.validatorKeys.get(h.index).sign(bytes))
        .build();
    h.phantomViewChanges.put(body.getNewView(), out);
    c.viewChangeLies++;
    return out;
  }

  /** A PHANTOM_PREPARED validator's answer to a request for the invalid block it named, or null. */
  static ConsensusMessage servePhantom(SimHost h, ConsensusMessage msg) {
    if (!msg.hasViewChangeBlockRequest() || msg.getViewChangeBlockRequest().getBlockHash().size() != Hash.LENGTH) {
      return null;
    }
    Block b = h.phantomBlocks.get(Hash.of(msg.getViewChangeBlockRequest().getBlockHash()));
    return b == null ? null : ConsensusMessage.newBuilder().setViewChangeBlock(ViewChangeBlock.newBuilder()
        .setSequence(msg.getViewChangeBlockRequest().getSequence()).setBlock(b)).build();
  }
}
