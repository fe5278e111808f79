package org.fedledger.node.rpc;

import java.util.ArrayList;
import java.util.List;
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

  /**
   * Offers {@code txs} (distinct ids) to the node; returns one admission per transaction, in
   * order. The node's intake overrides this to queue all accepted ones in ONE hand-off to the
   * event loop (one wake-up, one group commit, one forward to the leader); this default offers
   * them one by one.
   */
  default List<Admission> offerAll(List<ParsedTx> txs) {
    List<Admission> out = new ArrayList<>(txs.size());
    for (ParsedTx tx : txs) {
      out.add(offer(tx));
    }
    return out;
  }
}
