/**
 * The deterministic simulator (tests only): a {@link org.fedledger.consensus.sim.Cluster} of
 * replicas on a {@link org.fedledger.consensus.sim.SimNetwork} with a
 * {@link org.fedledger.consensus.sim.SimClock}, every random choice drawn from one seeded
 * {@link java.util.SplittableRandom}, so a failing seed replays exactly. Network faults (drop,
 * duplicate, delay, reorder, partition), crashes and restarts from persisted state, and
 * Byzantine validators ({@link org.fedledger.consensus.sim.Behavior}). Agreement, integrity and
 * order are checked after every commit; liveness at the end of every run.
 *
 * <p>Invariant: nothing here reads the wall clock or an unseeded random source.
 */
package org.fedledger.consensus.sim;
