package org.fedledger.node.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedledger.contracts.fl.FlContract;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.exec.StateView;
import org.fedledger.ledger.exec.WriteBuffer;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;

/**
 * Executes committed blocks with the node's contracts (registry, federated learning) and
 * commits them, with their receipts, state writes and the new head, in one write batch per
 * call (the event loop commits every block of one of its batches with one call).
 * Used by the event-loop thread only.
 */
public final class BlockCommitter {
  private final Chain chain;
  private final LedgerStore store;
  private final Executor executor;
  private final Durability durability;

  /** A committer over {@code store} for {@code chain}. */
  public BlockCommitter(Chain chain, LedgerStore store, Durability durability) {
    this.chain = chain;
    this.store = store;
    this.durability = durability;
    this.executor = newExecutor(chain);
  }

  /** True when block writes are fsynced ({@code data.sync_commits}): such a write makes every earlier one durable. */
  public boolean syncsCommits() {
    return durability == Durability.SYNC;
  }

  /** The executor with every contract of this node, in their fixed registration order. */
  public static Executor newExecutor(Chain chain) {
    return new Executor(List.of(new RegistryContract(), new FlContract()), chain.nonceWindow());
  }

  /** What committing a block produced. */
  public record Committed(long height, Hash blockHash, Hash stateRoot, BlockResult result) {}

  /** A committed block to execute and store, with its transactions (already validated). */
  public record Pending(CertifiedBlock block, List<ParsedTx> txs) {
    /** Checks presence and copies the list. */
    public Pending {
      java.util.Objects.requireNonNull(block, "block");
      txs = List.copyOf(txs);
    }
  }

  /**
   * Executes {@code block} (whose transactions are {@code txs}, already validated) on top of
   * the store's head and commits it. A finality proof the block may carry (a peer's, in state
   * transfer) is dropped: proofs are built from the store when a block is served, never stored.
   */
  public Committed commit(CertifiedBlock block, List<ParsedTx> txs) {
    return commitAll(List.of(new Pending(block, txs))).get(0);
  }

  /**
   * Executes {@code blocks}, consecutive heights after the store's head, each over the state
   * the ones before it left, and commits them all in ONE write ({@link LedgerStore#commitBlocks}):
   * after a crash the store holds all of them or none. Returns what each produced, in order.
   */
  public List<Committed> commitAll(List<Pending> blocks) {
    return commitAll(blocks, Map.of(), false);
  }

  /**
   * {@link #commitAll(List)}, writing {@code consensusChanges} to the consensus log in the same
   * write ({@link LedgerStore#commitBlocks(List, Map, Durability)}), fsynced if {@code sync}.
   */
  public List<Committed> commitAll(List<Pending> blocks, Map<ByteString, java.util.Optional<ByteString>> consensusChanges,
      boolean sync) {
    if (blocks.isEmpty()) {
      store.commitBlocks(List.of(), consensusChanges, sync ? Durability.SYNC : durability); // the changes alone
      return List.of();
    }
    List<Committed> done = new ArrayList<>(blocks.size());
    List<LedgerStore.BlockCommit> commits = new ArrayList<>(blocks.size());
    // Blocks after the first read the state through the writes of the earlier ones.
    WriteBuffer batchState = blocks.size() > 1 ? new WriteBuffer(store.state()) : null;
    StateView base = store.state();
    LtHash lattice = store.lattice();
    for (int i = 0; i < blocks.size(); i++) {
      Pending p = blocks.get(i);
      CertifiedBlock block = p.block();
      BlockHeader header;
      try {
        header = BlockHeader.parseFrom(block.getBlock().getHeader());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("a committed block's header does not parse", e);
      }
      Hash hash = Blocks.hash(block.getBlock());
      BlockContext ctx = new BlockContext(chain.chainId(), header.getHeight(), header.getTimestampMillis(), hash);
      BlockResult result = executor.execute(ctx, p.txs(), base, lattice);
      commits.add(new LedgerStore.BlockCommit(block.hasProof() ? block.toBuilder().clearProof().build() : block,
          result));
      done.add(new Committed(header.getHeight(), hash, result.stateRoot(), result));
      lattice = result.lattice();
      if (batchState != null && i + 1 < blocks.size()) {
        for (Map.Entry<ByteString, ByteString> w : result.writes().entrySet()) {
          if (w.getValue() == null) {
            batchState.delete(w.getKey());
          } else {
            batchState.put(w.getKey(), w.getValue());
          }
        }
        base = batchState;
      }
    }
    store.commitBlocks(commits, consensusChanges, sync ? Durability.SYNC : durability);
    return done;
  }
}
