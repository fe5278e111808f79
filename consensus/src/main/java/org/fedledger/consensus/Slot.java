package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.List;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.PrePreparedEntry;
import org.fedledger.proto.SlotRecord;

/**
 * What a replica knows about one sequence number (Castro-Liskov's message log, one entry):
 * the PRE-PREPARE it accepted, the votes of the current view, the highest view it was prepared
 * in, and whether the block is committed here. Votes are kept in arrays indexed by validator.
 */
final class Slot {
  final long sequence;

  // The accepted PRE-PREPARE (ppView >= 0), in view ppView.
  long ppView = -1;
  Block block;
  BlockHeader header;
  Hash hash;
  List<ParsedTx> txs;
  TreeSet<Hash> txIds;
  PrePrepare prePrepare; // as received or sent (null for a NEW-VIEW re-proposal)
  /** The accepted PRE-PREPARE asked for a certificate ({@link Certification}); persisted under its own key. */
  boolean certify;
  /** The view whose certify flag is in the consensus log (-1: none). */
  long certifyPersistedView = -1;

  // A PRE-PREPARE of the current view waiting for its parent's.
  PrePrepare pending;
  int pendingFrom = -1;

  // Votes of view voteView.
  long voteView = -1;
  final Hash[] prepares;
  /** The certify flag of each PREPARE in {@link #prepares}: only those matching {@link #certify} count. */
  final boolean[] prepareCertify;
  final Hash[] commitHashes;
  final ByteString[] commitSignatures;
  /** Which commit signatures were verified (on receipt, or when the certificate was built). */
  final boolean[] commitVerified;
  boolean preparedNow;
  boolean commitSent;

  // Highest view in which this replica was prepared (persisted; reported in VIEW-CHANGE).
  long preparedView = -1;
  Hash preparedHash;
  Block preparedBlock;

  boolean committed;

  // What the consensus log holds for this slot (set when its SlotRecord is written or restored).
  /** The PRE-PREPARE view and block hash of the logged SlotRecord (-1 / null: no block in it). */
  long loggedView = -1;
  Hash loggedHash;
  /** The Ready ({@code Replica.readySerial}) whose persist list holds this slot's record, and where. */
  long recordReady = -1;
  int recordIndex = -1;
  /**
   * The block with its commit certificate, frozen when 2f+1 matching COMMITs arrived (the votes
   * are cleared when the view moves, and the block may wait for a lower one to commit first).
   */
  org.fedledger.proto.CertifiedBlock certified;

  /** Set Q: every block pre-prepared here, with the highest view it was pre-prepared in (bounded). */
  final TreeMap<Hash, Long> prePrepared = new TreeMap<>();
  static final int PRE_PREPARED_MAX = 8;

  Slot(long sequence, int n) {
    this.sequence = sequence;
    this.prepares = new Hash[n];
    this.prepareCertify = new boolean[n];
    this.commitHashes = new Hash[n];
    this.commitSignatures = new ByteString[n];
    this.commitVerified = new boolean[n];
  }

  /** True when the accepted block is certified: its COMMITs carry signatures ({@link Certification}). */
  boolean certified(int checkpointIntervalBlocks) {
    return Certification.certified(sequence, checkpointIntervalBlocks, certify);
  }

  /** Forgets the accepted PRE-PREPARE (its block no longer links, or a NEW-VIEW did not re-propose it). */
  void clearPrePrepare() {
    ppView = -1;
    block = null;
    hash = null;
    header = null;
    txs = null;
    txIds = null;
    prePrepare = null;
    certify = false;
  }

  boolean hasPrePrepare(long view) {
    return ppView == view && block != null;
  }

  /** Clears the votes when the view moves. */
  void votesFor(long view) {
    if (voteView != view) {
      voteView = view;
      Arrays.fill(prepares, null);
      Arrays.fill(prepareCertify, false);
      Arrays.fill(commitHashes, null);
      Arrays.fill(commitSignatures, null);
      Arrays.fill(commitVerified, false);
      preparedNow = false;
      commitSent = false;
    }
  }

  void accept(long view, Block block, BlockHeader header, Hash hash, List<ParsedTx> txs, PrePrepare pp,
      boolean certify) {
    this.ppView = view;
    this.certify = certify;
    this.block = block;
    this.header = header;
    this.hash = hash;
    this.txs = txs;
    this.txIds = null;
    this.prePrepare = pp;
    this.pending = null;
    this.pendingFrom = -1;
    notePrePrepared(hash, view);
  }

  void notePrePrepared(Hash h, long view) {
    prePrepared.merge(h, view, Math::max);
    while (prePrepared.size() > PRE_PREPARED_MAX) {
      Hash lowest = null;
      for (java.util.Map.Entry<Hash, Long> e : prePrepared.entrySet()) {
        if (!e.getKey().equals(hash) && (lowest == null || e.getValue() < prePrepared.get(lowest))) {
          lowest = e.getKey();
        }
      }
      prePrepared.remove(lowest); // fewer Q entries can only delay a NEW-VIEW decision, never mislead it
    }
  }

  /**
   * True when this replica pre-prepared, in {@code view} at this sequence, a block other than
   * {@code h} (any block when {@code h} is null): it must not vote for another one in that view.
   */
  boolean prePreparedOtherIn(long view, Hash h) {
    for (java.util.Map.Entry<Hash, Long> e : prePrepared.entrySet()) {
      if (e.getValue() == view && !e.getKey().equals(h)) {
        return true;
      }
    }
    return false;
  }

  boolean containsTx(Hash id) {
    if (txIds == null) {
      txIds = new TreeSet<>();
      for (ParsedTx t : txs) {
        txIds.add(t.id());
      }
    }
    return txIds.contains(id);
  }

  ChainHead asHead() {
    return new ChainHead(header.getHeight(), hash, header.getTimestampMillis());
  }

  int count(Hash[] votes, Hash h, int skip) {
    int c = 0;
    for (int i = 0; i < votes.length; i++) {
      if (i != skip && h.equals(votes[i])) {
        c++;
      }
    }
    return c;
  }

  SlotRecord toRecord() {
    SlotRecord.Builder b = SlotRecord.newBuilder().setSequence(sequence);
    if (block != null) {
      b.setPrePreparedView(ppView).setBlock(block);
      if (prePrepare != null) {
        b.setProposalSignature(prePrepare.getSignature());
      }
    }
    for (java.util.Map.Entry<Hash, Long> e : prePrepared.entrySet()) {
      b.addPrePrepared(PrePreparedEntry.newBuilder().setSequence(sequence).setView(e.getValue())
          .setBlockHash(e.getKey().bytes()));
    }
    if (preparedView >= 0) {
      b.setPrepared(true).setPreparedView(preparedView).setPreparedHash(preparedHash.bytes());
      if (!preparedHash.equals(hash)) {
        b.setPreparedBlock(preparedBlock);
      }
    }
    return b.build();
  }
}
