package org.fedledger.consensus.sim;

/** How a simulated validator behaves. All but HONEST are Byzantine (at most f per run). */
public enum Behavior {
  /** Follows the protocol. */
  HONEST,
  /** As leader, sends different (validly signed) blocks to different replicas. */
  EQUIVOCATE,
  /** As leader, never sends its proposals or NEW-VIEW. */
  WITHHOLD,
  /** Votes (PREPARE, COMMIT, CHECKPOINT) for random digests or stale and future views. */
  RANDOM_VOTES,
  /** Sends random bytes and corrupted messages. */
  GARBAGE,
  /** Two copies of the validator with its key, each honest towards one side of a partition. */
  TWINS,
  /** As leader, never asks for a certificate: only blocks at multiples of K are certified. */
  NEVER_CERTIFY,
  /** As leader, asks for a certificate on every block (and signs its own COMMITs to match). */
  CERTIFY_ALL,
  /** Sends junk, missing or short signatures on COMMITs that must be signed. */
  JUNK_COMMIT_SIGNATURES,
  /** Signs COMMITs that must not be signed (blocks that are not certified). */
  SIGN_UNCERTIFIED,
  /**
   * As leader, sends one block with PrePrepare.certify flipped (and validly signed) to odd
   * destinations, and its own COMMITs to each replica in the shape it told it.
   */
  SPLIT_CERTIFY
}
