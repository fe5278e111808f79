package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Objects;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.ConsensusMessage;

/**
 * What one {@link Replica#step} asks the driver to do, in this order:
 * <ol>
 *   <li>{@link #persist}: write every change to the consensus log (one atomic batch) BEFORE any
 *       message of this Ready leaves the process; when {@link #syncBeforeSend} is set, that write
 *       (or, with no records, the log's write-ahead log) is fsynced first, which also makes every
 *       earlier, unsynced write durable (a write-ahead log is recovered as a prefix);
 *   <li>{@link #send}: send the messages;
 *   <li>{@link #commit}: execute each block in order, store it with its receipts and state in
 *       one batch, then feed {@link Input.Executed} back;
 *   <li>{@link #evidence}: keep proofs of equivocation (for operators; nothing to act on).
 * </ol>
 * Readies are handled in the order they were returned; a driver may merge consecutive ones into
 * one batch (fsynced when any of them asks). Lists are never null and never modified afterwards.
 *
 * <p><b>Which writes are fsynced</b> ({@link ReplicaConfig#lazyVoteSync}). Only those whose loss
 * in a power failure could break safety: the view record before a VIEW-CHANGE or NEW-VIEW or the
 * first vote of a view, the vote reservation before a vote above it, the prepared record before
 * COMMIT, and the abstention record at an unclean restart. A PRE-PREPARE or PREPARE leaves after
 * its record was only written (not fsynced): a replica that lost it in a power failure restarts
 * without the clean-stop marker and abstains from every sequence of that view it may have voted
 * for (up to the durable reservation), so it can never vote two ways (see {@link Replica}).
 * Without lazy vote sync, every Ready with records asks for an fsync.
 *
 * @param syncBeforeSend fsync before anything of this Ready leaves
 */
public record Ready(List<Persist> persist, List<Outbound> send, List<CommittedBlock> commit,
    List<Equivocation> evidence, boolean syncBeforeSend) {

  /** A Ready with nothing to do. */
  public static final Ready EMPTY = new Ready(List.of(), List.of(), List.of(), List.of(), false);

  /** Copies the lists. */
  public Ready {
    persist = List.copyOf(persist);
    send = List.copyOf(send);
    commit = List.copyOf(commit);
    evidence = List.copyOf(evidence);
  }

  /** A Ready whose records, if any, are all fsynced before anything leaves (the strict contract). */
  public Ready(List<Persist> persist, List<Outbound> send, List<CommittedBlock> commit, List<Equivocation> evidence) {
    this(persist, send, commit, evidence, !persist.isEmpty());
  }

  /** True when there is nothing to do. */
  public boolean isEmpty() {
    return persist.isEmpty() && send.isEmpty() && commit.isEmpty() && evidence.isEmpty() && !syncBeforeSend;
  }

  /** A message to send; {@code to == BROADCAST} means every other validator. */
  public record Outbound(int to, ConsensusMessage msg) {
    /** The destination meaning "every validator but me". */
    public static final int BROADCAST = -1;

    /** Checks presence. */
    public Outbound {
      Objects.requireNonNull(msg, "msg");
    }
  }

  /**
   * A block agreed by 2f+1 validators, with its commit certificate and its transactions
   * parsed (signatures already verified, ready for the ledger Executor).
   */
  public record CommittedBlock(CertifiedBlock block, List<ParsedTx> txs) {
    /** Copies the list. */
    public CommittedBlock {
      Objects.requireNonNull(block, "block");
      txs = List.copyOf(txs);
    }

    /** The block height. */
    public long height() {
      return block.getCertificate().getHeight();
    }
  }

  /** A change to the consensus log: a put, or a delete when {@code value} is null. */
  public record Persist(ByteString key, ByteString value) {
    /** Checks the key. */
    public Persist {
      Objects.requireNonNull(key, "key");
    }

    /** True for a delete. */
    public boolean isDelete() {
      return value == null;
    }
  }

  /**
   * Two proposals signed by the same leader for the same (view, sequence) with different
   * blocks or certify flags (both under its ProposalStatement signature): proof that validator
   * {@code leader} is Byzantine.
   */
  public record Equivocation(int leader, long view, long sequence, ConsensusMessage first,
      ConsensusMessage second) {}
}
