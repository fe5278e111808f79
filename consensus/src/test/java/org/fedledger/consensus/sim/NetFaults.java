package org.fedledger.consensus.sim;

/**
 * What the simulated network does to each message: probabilities in [0, 1] and a delay range.
 * Reordering follows from random delays.
 */
public record NetFaults(double dropRate, double duplicateRate, long delayMinMillis, long delayMaxMillis) {
  /** A reliable network with small random delays (still reorders). */
  public static final NetFaults CALM = new NetFaults(0, 0, 1, 8);

  /** Checks the ranges. */
  public NetFaults {
    if (dropRate < 0 || dropRate > 1 || duplicateRate < 0 || duplicateRate > 1 || delayMinMillis < 0
        || delayMaxMillis < delayMinMillis) {
      throw new IllegalArgumentException("bad network faults " + dropRate + " " + duplicateRate + " "
          + delayMinMillis + ".." + delayMaxMillis);
    }
  }
}
