package org.fedledger.consensus.sim;

import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.fedledger.proto.ConsensusMessage;

/**
 * A deterministic network: messages wait in a priority queue ordered by delivery time and then
 * by send order, so one seed always gives the same schedule. It drops, duplicates, delays (hence
 * reorders) and partitions, as {@link NetFaults} and the partition say.
 */
public final class SimNetwork {
  /** A message in flight; {@code toTwin} selects the copy of a twinned validator (0 or 1). */
  record Envelope(long deliverAtMillis, long order, int from, int to, int toCopy, ConsensusMessage msg,
      byte[] garbage) {}

  private final SplittableRandom random;
  private final PriorityQueue<Envelope> queue = new PriorityQueue<>((a, b) -> a.deliverAtMillis() != b.deliverAtMillis()
      ? Long.compare(a.deliverAtMillis(), b.deliverAtMillis()) : Long.compare(a.order(), b.order()));
  private long order;
  NetFaults faults = NetFaults.CALM;
  /** Messages the adversary holds back indefinitely (an asynchronous period), or null. */
  java.util.function.Predicate<ConsensusMessage> censor;
  /** side[i]: the partition side of validator i; messages cross sides only when partitionOff. */
  int[] side;
  long sent;
  long dropped;
  long duplicated;
  long partitioned;
  /** Messages held longer than a calm network's jitter ({@link NetFaults#CALM}'s maximum delay). */
  long delayed;
  /** Messages delivered after a message sent later on the same link (from, to, copy). */
  long reordered;
  /** Per link: the send order of the newest message delivered on it. */
  private final long[][] lastDelivered;

  SimNetwork(SplittableRandom random, int n) {
    this.random = random;
    this.side = new int[n];
    this.lastDelivered = new long[n][2 * n];
    for (long[] row : lastDelivered) {
      java.util.Arrays.fill(row, -1);
    }
  }

  void heal() {
    java.util.Arrays.fill(side, 0);
  }

  void send(long now, int from, int fromSide, int to, int toSide, int toCopy, ConsensusMessage msg, byte[] garbage) {
    sent++;
    if (fromSide != toSide) {
      partitioned++;
      return;
    }
    if (censor != null && censor.test(msg)) {
      dropped++;
      return;
    }
    if (faults.dropRate() > 0 && random.nextDouble() < faults.dropRate()) {
      dropped++;
      return;
    }
    enqueue(now, from, to, toCopy, msg, garbage);
    if (faults.duplicateRate() > 0 && random.nextDouble() < faults.duplicateRate()) {
      duplicated++;
      enqueue(now, from, to, toCopy, msg, garbage);
    }
  }

  private void enqueue(long now, int from, int to, int toCopy, ConsensusMessage msg, byte[] garbage) {
    long delay = faults.delayMinMillis() + (faults.delayMaxMillis() > faults.delayMinMillis()
        ? random.nextLong(faults.delayMaxMillis() - faults.delayMinMillis() + 1) : 0);
    if (delay > NetFaults.CALM.delayMaxMillis()) {
      delayed++;
    }
    queue.add(new Envelope(now + delay, order++, from, to, toCopy, msg, garbage));
  }

  /** The next message due at or before {@code now}, or null. */
  Envelope poll(long now) {
    Envelope e = queue.peek();
    if (e == null || e.deliverAtMillis() > now) {
      return null;
    }
    queue.poll();
    int link = 2 * e.to() + e.toCopy();
    if (e.order() < lastDelivered[e.from()][link]) {
      reordered++;
    } else {
      lastDelivered[e.from()][link] = e.order();
    }
    return e;
  }

  int inFlight() {
    return queue.size();
  }
}
