package org.fedledger.ledger.chain;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.Merkle;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;

/**
 * Validation of a proposed or fetched block against its parent: structure, chain, height and
 * link, limits, tx count and root, state-root shape, proposer range, timestamp, and every
 * transaction statelessly with no duplicate id. Cheap checks run first, signatures last.
 *
 * <p>Never throws on bad input. Whether the proposer is the right leader for the view and
 * whether the state root matches this validator's own execution are consensus checks.
 * Thread-safe (immutable).
 */
public final class BlockValidator {
  private final Chain chain;
  private final TxValidator txs;

  /** A validator for blocks of {@code chain}. */
  public BlockValidator(Chain chain) {
    this.chain = chain;
    this.txs = new TxValidator(chain);
  }

  /** Validates a serialized Block as received, with the timestamp drift checked against {@code nowMillis}. */
  public BlockCheck validate(ByteString raw, ChainHead parent, long nowMillis) {
    if (raw.size() > chain.blockBytesMax()) {
      return invalid(BlockError.BLOCK_TOO_LARGE, raw.size() + " bytes exceed block_bytes_max " + chain.blockBytesMax());
    }
    Block block;
    try {
      block = Block.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      return invalid(BlockError.MALFORMED_BLOCK, "not a Block: " + e.getMessage());
    }
    return check(block, raw.size(), parent, true, nowMillis);
  }

  /**
   * Validates a block proposed now: {@code nowMillis} is the caller's notion of the current
   * time, and the block's timestamp must lie within timestamp_drift_max_millis of it.
   */
  public BlockCheck validate(Block block, ChainHead parent, long nowMillis) {
    return check(block, block.getSerializedSize(), parent, true, nowMillis);
  }

  /**
   * Validates a block of the past (fetched with its commit certificate during state transfer):
   * everything but the drift from now, which 2f+1 validators checked when it was proposed.
   */
  public BlockCheck validateHistoric(Block block, ChainHead parent) {
    return check(block, block.getSerializedSize(), parent, false, 0);
  }

  private BlockCheck check(Block block, int size, ChainHead parent, boolean checkNow, long nowMillis) {
    if (size > chain.blockBytesMax()) {
      return invalid(BlockError.BLOCK_TOO_LARGE, size + " bytes exceed block_bytes_max " + chain.blockBytesMax());
    }
    BlockHeader h;
    try {
      h = BlockHeader.parseFrom(block.getHeader());
    } catch (InvalidProtocolBufferException e) {
      return invalid(BlockError.MALFORMED_HEADER, "header is not a BlockHeader: " + e.getMessage());
    }
    BlockCheck.Invalid headerProblem = checkHeader(h, block, parent, checkNow, nowMillis);
    if (headerProblem != null) {
      return headerProblem;
    }
    List<ParsedTx> parsed = new ArrayList<>(block.getTransactionsCount());
    List<Hash> ids = new ArrayList<>(block.getTransactionsCount());
    TreeSet<Hash> seen = new TreeSet<>();
    for (int i = 0; i < block.getTransactionsCount(); i++) {
      Hash id = Blocks.txId(block.getTransactions(i));
      if (!seen.add(id)) {
        return invalid(BlockError.DUPLICATE_TX, "transaction " + i + " (" + id.shortHex() + ") appears earlier in the block");
      }
      ids.add(id);
    }
    if (!Merkle.root(ids).bytes().equals(h.getTxRoot())) {
      return invalid(BlockError.TX_ROOT_MISMATCH, "tx_root is not the Merkle root of the transaction ids");
    }
    for (int i = 0; i < block.getTransactionsCount(); i++) {
      TxCheck c = txs.check(block.getTransactions(i));
      if (c instanceof TxCheck.Invalid bad) {
        return new BlockCheck.Invalid(BlockError.INVALID_TX, "transaction " + i + ": " + bad, bad.error());
      }
      parsed.add(((TxCheck.Valid) c).tx());
    }
    return new BlockCheck.Valid(new ValidBlock(block, h, Hash.sha256(block.getHeader()), parsed));
  }

  private BlockCheck.Invalid checkHeader(BlockHeader h, Block block, ChainHead parent, boolean checkNow, long nowMillis) {
    if (!h.getChainId().equals(chain.chainId())) {
      return invalid(BlockError.WRONG_CHAIN, "chain id is not '" + chain.chainId() + "'");
    }
    if (h.getHeight() != parent.height() + 1) {
      return invalid(BlockError.WRONG_HEIGHT, "height " + Long.toUnsignedString(h.getHeight())
          + " does not follow parent height " + parent.height());
    }
    if (!h.getPreviousHash().equals(parent.hash().bytes())) {
      return invalid(BlockError.WRONG_PREVIOUS_HASH, "previous_hash does not match parent " + parent.hash().shortHex());
    }
    int n = block.getTransactionsCount();
    if (n > chain.blockTxMax()) {
      return invalid(BlockError.TOO_MANY_TXS, n + " transactions exceed block_tx_max " + chain.blockTxMax());
    }
    if (h.getTxCount() != n) {
      return invalid(BlockError.TX_COUNT_MISMATCH, "tx_count " + Integer.toUnsignedString(h.getTxCount())
          + " but the block holds " + n);
    }
    if (h.getStateRoot().size() != Hash.LENGTH || h.getStateHeight() < 0 || h.getStateHeight() >= h.getHeight()) {
      return invalid(BlockError.BAD_STATE_ROOT, "state_root must be 32 bytes and state_height below the block height");
    }
    if (h.getProposer() < 0 || h.getProposer() >= chain.validatorCount()) {
      return invalid(BlockError.PROPOSER_OUT_OF_RANGE, "proposer " + Integer.toUnsignedString(h.getProposer())
          + " is not a validator index below " + chain.validatorCount());
    }
    long ts = h.getTimestampMillis();
    if (ts < parent.timestampMillis()) {
      return invalid(BlockError.TIMESTAMP_BEFORE_PARENT, "timestamp " + Long.toUnsignedString(ts)
          + " is before the parent's " + parent.timestampMillis());
    }
    if (checkNow && Math.abs(ts - nowMillis) > chain.timestampDriftMaxMillis()) {
      return invalid(BlockError.TIMESTAMP_OUT_OF_DRIFT, "timestamp " + ts + " is more than "
          + chain.timestampDriftMaxMillis() + " ms from now " + nowMillis);
    }
    return null;
  }

  private static BlockCheck.Invalid invalid(BlockError error, String message) {
    return new BlockCheck.Invalid(error, message, null);
  }
}
