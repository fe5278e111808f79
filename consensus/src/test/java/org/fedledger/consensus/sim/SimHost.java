package org.fedledger.consensus.sim;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedledger.consensus.LogKeys;
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
  final TreeSet<Hash> txIds = new TreeSet<>();
  /** A Byzantine leader lying about PrePrepare.certify: what its replica chose, by "view/sequence". */
  final TreeMap<String, Boolean> proposedCertify = new TreeMap<>();
  int crashes;
  int restarts;
  int wipes;
  /** Counters of the replicas this host ran before its crashes (a crash loses the replica object). */
  private long pastViewChanges;
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
    txIds.clear();
  }

  boolean up() {
    return replica != null;
  }

  void crash() {
    pastViewChanges += replica.viewChangesStarted();
    pastTransfers += replica.transfersCompleted();
    pastTransfersAfterPeerLoss += replica.transfersCompletedAfterPeerLoss();
    pastTransferredBlocks += replica.transferredBlocks();
    pastTransfersOnMatchingPeers += replica.transfersOnMatchingPeers();
    replica = null;
    crashes++;
  }

  /** View changes started by every replica this host ran. */
  long viewChanges() {
    return pastViewChanges + (replica == null ? 0 : replica.viewChangesStarted());
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

  /** Restarts from the persisted log and store; with {@code wipe}, from an empty data directory. */
  void restart(boolean wipe) {
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
      records.add(Map.entry(e.getKey(), e.getValue()));
    }
    replica = Replica.restore(config, head, root, records, txIds::contains);
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
