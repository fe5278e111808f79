package org.fedledger.consensus.sim;

/** What a crash does to the consensus-log writes that were not fsynced yet. */
enum PowerLoss {
  /** A process crash (kill -9): the operating system keeps every write. */
  NONE,
  /** A power failure that loses every write since the last fsync. */
  ALL,
  /** A power failure that loses each unsynced batch with probability 1/2, independently (not only a suffix). */
  SOME
}
