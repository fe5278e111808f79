package org.fedledger.consensus.sim;

/** Simulated time in milliseconds; only the simulator advances it. */
public final class SimClock {
  private long nowMillis = SimChain.GENESIS_MILLIS + 1_000;

  /** The current simulated time. */
  public long nowMillis() {
    return nowMillis;
  }

  void advance(long millis) {
    nowMillis += millis;
  }
}
