package org.fedledger.ledger.exec;

import java.util.List;
import org.fedledger.proto.Transaction;

/**
 * A native contract. The {@link Executor} dispatches each transaction to the one contract that
 * declares its payload type.
 *
 * <p>Contracts must be deterministic functions of (state, transaction, block context): no wall
 * clock, no randomness (derive seeds from the block hash), no iteration over hash-based
 * collections, no parallel reductions, {@link StrictMath} for transcendental functions, fixed
 * accumulation order. The state root proves that every validator agrees.
 */
public interface Contract {
  /** The contract's name; also the first segment of every state key it owns. */
  String name();

  /** The payload cases this contract executes. */
  List<org.fedledger.proto.Transaction.PayloadCase> payloads();

  /**
   * Executes one transaction. To refuse it, throw {@link ContractException}: the writes this
   * call made are then discarded and the receipt carries the code and reason.
   */
  void execute(TxContext ctx, Transaction tx, State state) throws ContractException;

  /**
   * Called once after the block's last transaction, for work that the block's height makes due
   * (e.g. closing a round whose deadline has passed). Events go into the block's end events.
   */
  default void endBlock(BlockContext block, State state, EventSink events) {}
}
