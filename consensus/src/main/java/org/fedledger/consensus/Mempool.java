package org.fedledger.consensus;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;

/**
 * The bounded pool of client transactions that passed stateless validation and are not yet
 * committed, in arrival order (LinkedHashMap: iteration follows insertion, the same on every
 * JVM). A transaction is either available for the next proposal or in flight (in a block this
 * replica accepted in the current view). A bounded memory of recently committed ids refuses
 * replays of committed transactions.
 */
final class Mempool {
  private final int capacity;
  private final LinkedHashMap<Hash, Pending> available = new LinkedHashMap<>();
  private final LinkedHashMap<Hash, Pending> inFlight = new LinkedHashMap<>();
  private final LinkedHashMap<Hash, Long> committed = new LinkedHashMap<>();

  /**
   * A pending transaction, the tick it arrived at (fixed: it decides its place in the pool) and
   * the tick it was last forwarded to the leader by {@link Replica}'s retransmission.
   */
  record Pending(ParsedTx tx, long arrivalTick, int bytes, long forwardedTick) {
    Pending(ParsedTx tx, long arrivalTick, int bytes) {
      this(tx, arrivalTick, bytes, arrivalTick);
    }
  }

  /** Whether the ledger store holds a transaction (survives restarts, unlike {@link #committed}). */
  java.util.function.Predicate<Hash> stored = id -> false;

  Mempool(int capacity) {
    this.capacity = capacity;
  }

  /** Outcome of {@link #add}. */
  enum Added { ADDED, KNOWN, FULL }

  Added add(ParsedTx tx, long tick) {
    Hash id = tx.id();
    if (available.containsKey(id) || inFlight.containsKey(id) || isCommitted(id)) {
      return Added.KNOWN;
    }
    if (size() >= capacity) {
      return Added.FULL;
    }
    available.put(id, new Pending(tx, tick, tx.envelope().getSerializedSize()));
    return Added.ADDED;
  }

  /** The pooled transaction with {@code id}, or null. */
  ParsedTx get(Hash id) {
    Pending p = available.get(id);
    if (p == null) {
      p = inFlight.get(id);
    }
    return p == null ? null : p.tx();
  }

  boolean isKnown(Hash id) {
    return available.containsKey(id) || inFlight.containsKey(id) || isCommitted(id);
  }

  boolean isCommitted(Hash id) {
    return committed.containsKey(id) || stored.test(id);
  }

  int size() {
    return available.size() + inFlight.size();
  }

  int availableCount() {
    return available.size();
  }

  boolean isEmpty() {
    return available.isEmpty() && inFlight.isEmpty();
  }

  /** Arrival tick of the oldest available transaction, or -1. */
  long oldestAvailableTick() {
    Iterator<Pending> it = available.values().iterator();
    return it.hasNext() ? it.next().arrivalTick() : -1;
  }

  /** Takes up to {@code countMax} available transactions of at most {@code bytesMax} in total, marking them in flight. */
  List<ParsedTx> take(int countMax, int bytesMax) {
    List<ParsedTx> out = new ArrayList<>(Math.min(countMax, available.size()));
    long bytes = 0;
    Iterator<Pending> it = available.values().iterator();
    while (it.hasNext() && out.size() < countMax) {
      Pending p = it.next();
      if (isCommitted(p.tx().id())) {
        it.remove(); // committed since it was pooled: proposing it would be refused as a replay
        continue;
      }
      if (bytes + p.bytes() > bytesMax) {
        if (out.isEmpty()) {
          continue; // larger than any block we build: leave it for a bigger limit (counted by the caller)
        }
        break;
      }
      bytes += p.bytes();
      out.add(p.tx());
      it.remove();
      inFlight.put(p.tx().id(), p);
    }
    return out;
  }

  /**
   * Marks {@code txs} (of a block accepted from the leader) in flight, adding those this replica
   * had not received yet: a later gossip copy is then known (not verified again), and if a view
   * change drops the block, the new leader can propose them.
   */
  void markInFlight(List<ParsedTx> txs, long tick) {
    for (ParsedTx t : txs) {
      Pending p = available.remove(t.id());
      if (isCommitted(t.id())) {
        continue; // a committed block re-proposed (or re-accepted): nothing of it is pending
      }
      if (p == null && !inFlight.containsKey(t.id())) {
        p = new Pending(t, tick, t.envelope().getSerializedSize());
      }
      if (p != null) {
        inFlight.put(t.id(), p);
      }
    }
  }

  /** Makes every in-flight transaction available again (a view change dropped its blocks). */
  void releaseInFlight() {
    if (inFlight.isEmpty()) {
      return;
    }
    LinkedHashMap<Hash, Pending> merged = new LinkedHashMap<>();
    merged.putAll(inFlight);
    merged.putAll(available);
    inFlight.clear();
    available.clear();
    available.putAll(merged);
  }

  /** Removes {@code txs}, committed at {@code height}, and remembers their ids. */
  void committed(List<ParsedTx> txs, long height) {
    for (ParsedTx t : txs) {
      available.remove(t.id());
      inFlight.remove(t.id());
      committed.put(t.id(), height);
    }
    Iterator<Hash> it = committed.keySet().iterator();
    while (committed.size() > capacity && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  /**
   * Available transactions not forwarded since {@code tick} (arrived or last {@link #touch}ed at
   * or before it), in pool order (oldest first), at most {@code max}.
   */
  List<ParsedTx> availableOlderThan(long tick, int max) {
    List<ParsedTx> out = new ArrayList<>();
    for (Pending p : available.values()) {
      if (out.size() >= max) {
        break;
      }
      if (p.forwardedTick() <= tick) {
        out.add(p.tx());
      }
    }
    return out;
  }

  /**
   * Notes that {@code txs} were forwarded again at {@code tick}. Their place in the pool does not
   * change: moving them behind newer arrivals would let a signer's later nonces be proposed first,
   * and more than the nonce window of them would make the early one too old to execute.
   */
  void touch(List<ParsedTx> txs, long tick) {
    for (ParsedTx t : txs) {
      available.computeIfPresent(t.id(), (id, p) -> new Pending(p.tx(), p.arrivalTick(), p.bytes(), tick));
    }
  }
}
