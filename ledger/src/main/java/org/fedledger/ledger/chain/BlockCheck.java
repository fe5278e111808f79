package org.fedledger.ledger.chain;

/** The outcome of block validation: a {@link ValidBlock} or a specific reason. */
public sealed interface BlockCheck permits BlockCheck.Valid, BlockCheck.Invalid {
  /** True when the block is valid. */
  boolean ok();

  /** A valid block with its parsed header and transactions. */
  record Valid(ValidBlock block) implements BlockCheck {
    @Override
    public boolean ok() {
      return true;
    }
  }

  /**
   * A refused block.
   *
   * @param txError for {@link BlockError#INVALID_TX}, the transaction's reason; otherwise null
   */
  record Invalid(BlockError error, String message, TxError txError) implements BlockCheck {
    @Override
    public boolean ok() {
      return false;
    }

    @Override
    public String toString() {
      return error + ": " + message;
    }
  }
}
