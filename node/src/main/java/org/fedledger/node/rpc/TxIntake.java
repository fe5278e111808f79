package org.fedledger.node.rpc;

import org.fedledger.ledger.exec.ParsedTx;

/**
 * Where the gRPC API hands a client transaction that passed stateless validation: the node's
 * admission (dedup, mempool bound) in front of the event loop. Called from gRPC threads; must
 * not block.
 */
public interface TxIntake {
  /** The outcome of offering a transaction. */
  enum Admission {
    /** Queued for the replica. */
    ACCEPTED,
    /** The same transaction id is already pending or committed. */
    DUPLICATE,
    /** The mempool or the event-loop input queue is full. */
    FULL,
    /** The node is starting or shutting down. */
    UNAVAILABLE
  }

  /** Offers {@code tx} to the node. */
  Admission offer(ParsedTx tx);
}
