package org.fedledger.consensus.sim;

/**
 * How a Byzantine validator (on top of its {@link Behavior}) lies about the blocks a view change
 * moves apart from VIEW-CHANGE and NEW-VIEW (which name blocks by hash only).
 */
public enum ViewChangeLie {
  /** No lie. */
  NONE,
  /**
   * Its VIEW-CHANGEs (re-signed) report prepared and pre-prepared, at one sequence of the log, a
   * block nobody honest holds: a random hash (never served), or the hash of a block it crafted
   * with an invalid transaction (served on request).
   */
  PHANTOM_PREPARED,
  /**
   * It answers requests for view-change blocks with nothing or a wrong block, also as the new
   * leader whose NEW-VIEW picked them.
   */
  WRONG_BLOCKS
}
