package org.fedledger.node.exec;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.fedledger.ledger.crypto.Hash;

/**
 * Client transactions this node accepted and has not yet seen committed, with the time each was
 * accepted (for the commit-latency metric). Bounded: the mempool bound of the node's config.
 * gRPC threads add, the event loop removes on commit and expires entries the network never
 * committed (e.g. dropped by a full leader mempool), so a client may submit them again.
 */
final class PendingTxs {
  /** The outcome of {@link #add}. */
  enum Added { ADDED, DUPLICATE, FULL }

  private final ConcurrentHashMap<Hash, Long> since = new ConcurrentHashMap<>();
  private final int max;

  PendingTxs(int max) {
    this.max = max;
  }

  /** Adds {@code id}, accepted at {@code nowNanos}, unless present or full. */
  Added add(Hash id, long nowNanos) {
    if (since.size() >= max) {
      return since.containsKey(id) ? Added.DUPLICATE : Added.FULL;
    }
    return since.putIfAbsent(id, nowNanos) == null ? Added.ADDED : Added.DUPLICATE;
  }

  /** Removes {@code id}; returns when it was accepted, or -1 if it was not pending here. */
  long remove(Hash id) {
    Long t = since.remove(id);
    return t == null ? -1 : t;
  }

  /** Removes entries accepted before {@code cutoffNanos}; returns how many. */
  int expire(long cutoffNanos) {
    int n = 0;
    for (Iterator<Map.Entry<Hash, Long>> it = since.entrySet().iterator(); it.hasNext(); ) {
      if (it.next().getValue() - cutoffNanos < 0) {
        it.remove();
        n++;
      }
    }
    return n;
  }

  int size() {
    return since.size();
  }
}
