package org.fedledger.ledger.chain;

/** Why a block failed validation; each kind of bad block has its own reason. */
public enum BlockError {
  /** The bytes are not a serialized Block. */
  MALFORMED_BLOCK,
  /** The serialized block is larger than block_bytes_max. */
  BLOCK_TOO_LARGE,
  /** Block.header is not a serialized BlockHeader. */
  MALFORMED_HEADER,
  /** The header's chain id is not this chain's. */
  WRONG_CHAIN,
  /** The height is not the parent's plus one. */
  WRONG_HEIGHT,
  /** previous_hash is not the parent's hash. */
  WRONG_PREVIOUS_HASH,
  /** The block holds more than block_tx_max transactions. */
  TOO_MANY_TXS,
  /** header.tx_count differs from the number of transactions. */
  TX_COUNT_MISMATCH,
  /** header.tx_root is not the Merkle root of the transaction ids. */
  TX_ROOT_MISMATCH,
  /** The state root is not 32 bytes, or names a height not below the block's. */
  BAD_STATE_ROOT,
  /** The proposer index is not a validator index. */
  PROPOSER_OUT_OF_RANGE,
  /** The timestamp is earlier than the parent's. */
  TIMESTAMP_BEFORE_PARENT,
  /** The timestamp is further than timestamp_drift_max_millis from the validator's now. */
  TIMESTAMP_OUT_OF_DRIFT,
  /** A transaction fails stateless validation (the message names its index and reason). */
  INVALID_TX,
  /** The same transaction id appears twice in the block. */
  DUPLICATE_TX
}
