package org.fedledger.node.exec;

import java.util.ArrayList;
import java.util.List;
import org.fedledger.consensus.Input;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.node.rpc.TxIntake;

/**
 * The validator's {@link TxIntake}: admits a client transaction to the pending set (dedup,
 * mempool bound), then queues it on the event loop, a batch in ONE hand-off. A node that is not
 * open yet or is closing, or whose loop is stopping or stopped (a close, a fatal error), answers
 * {@link TxIntake.Admission#UNAVAILABLE}: retrying there is pointless, unlike after
 * {@link TxIntake.Admission#FULL}. Called from gRPC threads; thread-safe.
 */
final class LoopIntake implements TxIntake {
  private final PendingTxs pending;
  private final EventLoop loop;
  private volatile boolean open;

  LoopIntake(PendingTxs pending, EventLoop loop) {
    this.pending = pending;
    this.loop = loop;
  }

  /** Starts (true) or stops (false) taking transactions; closed until first opened. */
  void open(boolean open) {
    this.open = open;
  }

  private boolean taking() {
    return open && loop.acceptsInput();
  }

  /** What a refused hand-off to the loop means: a stopping loop is not a full one. */
  private Admission refusedByLoop() {
    return loop.acceptsInput() ? Admission.FULL : Admission.UNAVAILABLE;
  }

  @Override
  public Admission offer(ParsedTx tx) {
    if (!taking()) {
      return Admission.UNAVAILABLE;
    }
    switch (pending.add(tx.id(), System.nanoTime())) {
      case DUPLICATE:
        return Admission.DUPLICATE;
      case FULL:
        return Admission.FULL;
      case ADDED:
        break;
    }
    if (!loop.offer(new Input.Request(tx))) {
      pending.remove(tx.id());
      return refusedByLoop();
    }
    return Admission.ACCEPTED;
  }

  /** Admits each to the pending set, then queues the admitted ones with ONE {@link EventLoop#offerAll}. */
  @Override
  public List<Admission> offerAll(List<ParsedTx> txs) {
    Admission[] out = new Admission[txs.size()];
    List<Input.Request> requests = new ArrayList<>(txs.size());
    int[] at = new int[txs.size()];
    for (int i = 0; i < txs.size(); i++) {
      if (!taking()) {
        out[i] = Admission.UNAVAILABLE;
        continue;
      }
      switch (pending.add(txs.get(i).id(), System.nanoTime())) {
        case DUPLICATE -> out[i] = Admission.DUPLICATE;
        case FULL -> out[i] = Admission.FULL;
        case ADDED -> {
          at[requests.size()] = i;
          requests.add(new Input.Request(txs.get(i)));
        }
      }
    }
    int queued = requests.isEmpty() ? 0 : loop.offerAll(requests);
    Admission refused = queued < requests.size() ? refusedByLoop() : null;
    for (int k = 0; k < requests.size(); k++) {
      if (k < queued) {
        out[at[k]] = Admission.ACCEPTED;
      } else {
        pending.remove(txs.get(at[k]).id());
        out[at[k]] = refused;
      }
    }
    return List.of(out);
  }
}
