package org.fedledger.consensus.sim;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedledger.consensus.LogKeys;
import org.fedledger.consensus.Ready;
import org.fedledger.consensus.Replica;
import org.fedledger.consensus.ReplicaConfig;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;

/**
 * One simulated validator process (one copy of it, for Twins): its replica, and what survives a
 * crash: the committed blocks, the state, and the consensus log (as a driver keeps them in
 * RocksDB). Executes committed blocks with the ledger's real Executor over MemoryState.
 *
 * <p>The consensus log is {@link #log} (durable: fsynced) plus {@link #unsynced}, the batches
 * written since the last fsync ({@link Ready#syncBeforeSend} unset). A crash keeps them (a
 * process crash: the operating system has them) or loses them ({@link PowerLoss}).
 */
final class SimHost {
  final int index;
  final int copy;
  final ReplicaConfig config;
  private final SimChain sim;
  private final Executor executor;
  Replica replica;
  final List<CertifiedBlock> blocks = new ArrayList<>();
  final List<Hash> roots = new ArrayList<>();
  MemoryState state;
  ChainHead head;
  Hash root;
  final TreeMap<ByteString, ByteString> log = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  /** Batches written without fsync since the last synced one, oldest first. */
  final List<List<Ready.Persist>> unsynced = new ArrayList<>();
  /** Unsynced batches lost in power failures. */
  long lostBatches;
  /** Restarts after which the replica abstained from votes of its view. */
  long abstentions;
  /** Synced writes. */
  long syncs;
  final TreeSet<Hash> txIds = new TreeSet<>();
  /** A Byzantine leader lying about PrePrepare.certify: what its replica chose, by "view/sequence". */
  final TreeMap<String, Boolean> proposedCertify = new TreeMap<>();
  /** PHANTOM_PREPARED: the lying VIEW-CHANGE sent for each view, and the invalid blocks it named. */
  final TreeMap<Long, org.fedledger.proto.ViewChange> phantomViewChanges = new TreeMap<>();
  final TreeMap<org.fedledger.ledger.crypto.Hash, org.fedledger.proto.Block> phantomBlocks = new TreeMap<>();
  int crashes;
  int restarts;
  int wipes;
  /** Counters of the replicas this host ran before its crashes (a crash loses the replica object). */
  private long pastViewChanges;
  private long pastViewChangeBlocksFetched;
  private long pastTransfers;
  private long pastTransfersAfterPeerLoss;
  private long pastTransferredBlocks;
  private long pastTransfersOnMatchingPeers;

  SimHost(int index, int copy, ReplicaConfig config, SimChain sim) {
    this.index = index;
    this.copy = copy;
    this.config = config;
    this.sim = sim;
    this.executor = new Executor(List.of(new CounterContract()), sim.chain.nonceWindow());
    wipeStore();
    this.replica = Replica.create(config, head, root, txIds::contains);
  }

  private void wipeStore() {
    blocks.clear();
    roots.clear();
    state = new MemoryState();
    head = sim.genesisHead;
    root = sim.genesisStateRoot;
    log.clear();
    unsynced.clear();
    txIds.clear();
  }

  /** Step 1 of a Ready: writes its records; fsynced (with every earlier write) when it asks. */
  void write(Ready r) {
    if (!r.persist().isEmpty()) {
      unsynced.add(r.persist());
    }
    if (r.syncBeforeSend()) {
      syncs++;
      applyUnsynced(null, null);
    }
  }

  /** Applies the unsynced batches to the durable log, each lost with {@code loss} (null: none lost). */
  private void applyUnsynced(PowerLoss loss, SplittableRandom disk) {
    for (List<Ready.Persist> batch : unsynced) {
      if (loss == PowerLoss.ALL || (loss == PowerLoss.SOME && disk.nextBoolean())) {
        lostBatches++;
        continue; // a batch is atomic (one RocksDB WriteBatch): lost or kept whole
      }
      for (Ready.Persist p : batch) {
        if (p.isDelete()) {
          log.remove(p.key());
        } else {
          log.put(p.key(), p.value());
        }
      }
    }
    unsynced.clear();
  }

  boolean up() {
    return replica != null;
  }

  /** Crashes the process: the replica is gone; unsynced writes survive unless {@code loss} says otherwise. */
  void crash(PowerLoss loss, SplittableRandom disk) {
    applyUnsynced(loss == PowerLoss.NONE ? null : loss, disk);
    pastViewChanges += replica.viewChangesStarted();
    pastViewChangeBlocksFetched += replica.viewChangeBlocksFetched();
    pastTransfers += replica.transfersCompleted();
    pastTransfersAfterPeerLoss += replica.transfersCompletedAfterPeerLoss();
    pastTransferredBlocks += replica.transferredBlocks();
    pastTransfersOnMatchingPeers += replica.transfersOnMatchingPeers();
    replica = null;
    crashes++;
  }

  /** Stops cleanly, as the node's stop path does: everything synced, then the clean-stop marker. */
  void stopCleanly() {
    applyUnsynced(null, null);
    log.put(LogKeys.CLEAN_STOP, LogKeys.CLEAN_STOP_VALUE);
    crash(PowerLoss.NONE, null);
  }

  /** View changes started by every replica this host ran. */
  long viewChanges() {
    return pastViewChanges + (replica == null ? 0 : replica.viewChangesStarted());
  }

  /** View-change blocks fetched from peers by every replica this host ran. */
  long viewChangeBlocksFetched() {
    return pastViewChangeBlocksFetched + (replica == null ? 0 : replica.viewChangeBlocksFetched());
  }

  /** State transfers completed by every replica this host ran. */
  long transfers() {
    return pastTransfers + (replica == null ? 0 : replica.transfersCompleted());
  }

  /** Of {@link #transfers()}: those that completed after a serving peer stopped answering. */
  long transfersAfterPeerLoss() {
    return pastTransfersAfterPeerLoss + (replica == null ? 0 : replica.transfersCompletedAfterPeerLoss());
  }

  /** Blocks committed through state transfer by every replica this host ran. */
  long transfersOnMatchingPeers() {
    return pastTransfersOnMatchingPeers + (replica == null ? 0 : replica.transfersOnMatchingPeers());
  }

  long transferredBlocks() {
    return pastTransferredBlocks + (replica == null ? 0 : replica.transferredBlocks());
  }

  /**
   * Restarts from the persisted log and store; with {@code wipe}, from an empty data directory.
   * With {@code pretendClean} (a negative control only) the driver lies that it stopped cleanly,
   * which turns the replica's abstention off.
   */
  void restart(boolean wipe, boolean pretendClean) {
    restarts++;
    if (wipe) {
      wipeStore();
      wipes++;
      replica = Replica.create(config, head, root, txIds::contains);
      return;
    }
    List<Map.Entry<ByteString, ByteString>> records = new ArrayList<>();
    for (Map.Entry<ByteString, ByteString> e : log.tailMap(LogKeys.PREFIX).entrySet()) {
      if (!e.getKey().startsWith(LogKeys.PREFIX)) {
        break;
      }
      if (!(pretendClean && e.getKey().equals(LogKeys.ABSTAIN))) {
        records.add(Map.entry(e.getKey(), e.getValue()));
      }
    }
    if (pretendClean && !log.containsKey(LogKeys.CLEAN_STOP)) {
      records.add(Map.entry(LogKeys.CLEAN_STOP, LogKeys.CLEAN_STOP_VALUE));
      records.sort(Map.Entry.comparingByKey(ByteString.unsignedLexicographicalComparator()));
    }
    replica = Replica.restore(config, head, root, records, txIds::contains);
    if (replica.abstainingThrough() >= 0) {
      abstentions++;
    }
  }

  /** Executes and stores a committed block; returns its state root. */
  Hash execute(CertifiedBlock cb, List<ParsedTx> txs) {
    BlockHeader h = header(cb);
    Hash hash = Blocks.hash(cb.getBlock());
    BlockResult r = executor.execute(new BlockContext(sim.chain.chainId(), h.getHeight(), h.getTimestampMillis(), hash),
        txs, state, state.lattice());
    for (Map.Entry<ByteString, ByteString> w : r.writes().entrySet()) {
      if (w.getValue() == null) {
        state.delete(w.getKey());
      } else {
        state.put(w.getKey(), w.getValue());
      }
    }
    blocks.add(cb);
    roots.add(r.stateRoot());
    head = new ChainHead(h.getHeight(), hash, h.getTimestampMillis());
    root = r.stateRoot();
    for (ParsedTx t : txs) {
      txIds.add(t.id());
    }
    return root;
  }

  static BlockHeader header(CertifiedBlock cb) {
    try {
      return BlockHeader.parseFrom(cb.getBlock().getHeader());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "host " + index + (copy > 0 ? "'" : "") + " " + (replica == null ? "(down)" : replica.toString());
  }
}
