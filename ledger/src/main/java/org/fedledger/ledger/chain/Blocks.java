package org.fedledger.ledger.chain;

import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.Merkle;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.Envelope;

/**
 * Building and hashing blocks. A block's hash is SHA-256 of its serialized header bytes; a
 * transaction's id is SHA-256 of its envelope body; the tx root is the RFC 6962 Merkle root
 * of the ids in block order.
 *
 * <p>The genesis block (height 0) has no transactions, links to the genesis hash as its
 * previous hash, carries the state root of the genesis state, and its timestamp is
 * genesis_time_millis, so every node derives the same genesis block from the same genesis.
 */
public final class Blocks {
  private Blocks() {}

  /** The hash of {@code block}: SHA-256 of its header bytes as they are. */
  public static Hash hash(Block block) {
    return Hash.sha256(block.getHeader());
  }

  /** The id of a transaction: SHA-256 of its envelope body. */
  public static Hash txId(Envelope envelope) {
    return Hash.sha256(envelope.getBody());
  }

  /** The Merkle root of the ids of {@code txs}. */
  public static Hash txRoot(List<Envelope> txs) {
    List<Hash> ids = new ArrayList<>(txs.size());
    for (Envelope e : txs) {
      ids.add(txId(e));
    }
    return Merkle.root(ids);
  }

  /**
   * Builds the block a leader proposes on top of {@code parent}.
   *
   * @param txs validated transactions, in block order (ids already known, so nothing is rehashed)
   * @param stateRoot the state root after block {@code stateHeight}, the newest the leader executed
   */
  public static Block build(Chain chain, ChainHead parent, List<ParsedTx> txs, Hash stateRoot,
      long stateHeight, int proposer, long view, long timestampMillis) {
    List<Hash> ids = new ArrayList<>(txs.size());
    Block.Builder b = Block.newBuilder();
    for (ParsedTx t : txs) {
      ids.add(t.id());
      b.addTransactions(t.envelope());
    }
    BlockHeader header = BlockHeader.newBuilder()
        .setChainId(chain.chainId())
        .setHeight(parent.height() + 1)
        .setPreviousHash(parent.hash().bytes())
        .setTxRoot(Merkle.root(ids).bytes())
        .setStateRoot(stateRoot.bytes())
        .setStateHeight(stateHeight)
        .setProposer(proposer)
        .setView(view)
        .setTimestampMillis(timestampMillis)
        .setTxCount(txs.size())
        .build();
    return b.setHeader(header.toByteString()).build();
  }

  /** The genesis block of {@code chain}, whose genesis state has root {@code genesisStateRoot}. */
  public static Block genesis(Chain chain, Hash genesisStateRoot) {
    BlockHeader header = BlockHeader.newBuilder()
        .setChainId(chain.chainId())
        .setHeight(0)
        .setPreviousHash(chain.genesisHash().bytes())
        .setTxRoot(Merkle.EMPTY_ROOT.bytes())
        .setStateRoot(genesisStateRoot.bytes())
        .setStateHeight(0)
        .setTimestampMillis(chain.genesis().getGenesisTimeMillis())
        .build();
    return Block.newBuilder().setHeader(header.toByteString()).build();
  }
}
