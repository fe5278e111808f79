package org.fedledger.ledger.chain;

import java.util.List;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;

/**
 * A block that passed validation: the block as received, its parsed header, its hash
 * (SHA-256 of the header bytes) and its parsed transactions in block order, ready for the
 * {@link org.fedledger.ledger.exec.Executor}.
 */
public record ValidBlock(Block block, BlockHeader header, Hash hash, List<ParsedTx> txs) {
  /** Copies the list. */
  public ValidBlock {
    txs = List.copyOf(txs);
  }

  /** The block's height. */
  public long height() {
    return header.getHeight();
  }

  /** This block as the head the next block extends. */
  public ChainHead asHead() {
    return new ChainHead(header.getHeight(), hash, header.getTimestampMillis());
  }
}
