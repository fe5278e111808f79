package org.fedledger.node.store;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import org.fedledger.contracts.fl.FlContract;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;

/**
 * Executes committed blocks with the node's contracts (registry, federated learning) and
 * commits each, with its receipts, state writes and new head, in one write batch.
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

  /** The executor with every contract of this node, in their fixed registration order. */
  public static Executor newExecutor(Chain chain) {
    return new Executor(List.of(new RegistryContract(), new FlContract()), chain.nonceWindow());
  }

  /** What committing a block produced. */
  public record Committed(long height, Hash blockHash, Hash stateRoot, BlockResult result) {}

  /**
   * Executes {@code block} (whose transactions are {@code txs}, already validated) on top of
   * the store's head and commits it. A finality proof the block may carry (a peer's, in state
   * transfer) is dropped: proofs are built from the store when a block is served, never stored.
   */
  public Committed commit(CertifiedBlock block, List<ParsedTx> txs) {
    BlockHeader header;
    try {
      header = BlockHeader.parseFrom(block.getBlock().getHeader());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a committed block's header does not parse", e);
    }
    Hash hash = Blocks.hash(block.getBlock());
    BlockContext ctx = new BlockContext(chain.chainId(), header.getHeight(), header.getTimestampMillis(), hash);
    BlockResult result = executor.execute(ctx, txs, store.state(), store.lattice());
    store.commitBlock(block.hasProof() ? block.toBuilder().clearProof().build() : block, result, durability);
    return new Committed(header.getHeight(), hash, result.stateRoot(), result);
  }
}
