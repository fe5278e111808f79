package org.fedledger.consensus;

/**
 * Checks of the replica's own invariants, always on. A failure means a bug or a
 * non-deterministic execution on this node, never bad peer input: it throws, and the node stops
 * rather than risk forking the ledger (etcd's Panicf, TigerBeetle's assert).
 */
final class Invariants {
  private Invariants() {}

  static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException("consensus invariant broken: " + message);
    }
  }
}
