package org.fedledger.consensus;

import java.util.Objects;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.ConsensusMessage;

/** One event a {@link Replica} consumes in {@link Replica#step}. */
public sealed interface Input permits Input.Receive, Input.Request, Input.Tick, Input.Executed {

  /**
   * A message from validator {@code from}, which the transport authenticated (the replica
   * trusts that {@code from} sent it, and nothing else about it).
   */
  record Receive(int from, ConsensusMessage msg) implements Input {
    /** Checks presence. */
    public Receive {
      Objects.requireNonNull(msg, "msg");
    }
  }

  /** A client transaction that already passed stateless validation (ledger TxValidator). */
  record Request(ParsedTx tx) implements Input {
    /** Checks presence. */
    public Request {
      Objects.requireNonNull(tx, "tx");
    }
  }

  /**
   * Time passes: one tick of the driver's timer. {@code nowMillis} is the driver's wall clock,
   * the replica's only notion of time (block timestamps and the drift check of proposals).
   */
  record Tick(long nowMillis) implements Input {}

  /**
   * The driver executed and durably stored committed block {@code height}, whose hash is
   * {@code blockHash}; {@code stateRoot} is the state root after it.
   */
  record Executed(long height, Hash blockHash, Hash stateRoot) implements Input {
    /** Checks presence. */
    public Executed {
      Objects.requireNonNull(blockHash, "blockHash");
      Objects.requireNonNull(stateRoot, "stateRoot");
    }
  }
}
