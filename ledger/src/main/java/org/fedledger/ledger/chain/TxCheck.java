package org.fedledger.ledger.chain;

import org.fedledger.ledger.exec.ParsedTx;

/** The outcome of stateless transaction validation: a {@link ParsedTx} or a specific reason. */
public sealed interface TxCheck permits TxCheck.Valid, TxCheck.Invalid {
  /** True when the transaction is valid. */
  boolean ok();

  /** A valid transaction, parsed. */
  record Valid(ParsedTx tx) implements TxCheck {
    @Override
    public boolean ok() {
      return true;
    }
  }

  /** A refused transaction: the reason and a message for people. */
  record Invalid(TxError error, String message) implements TxCheck {
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
