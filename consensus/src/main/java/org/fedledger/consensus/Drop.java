package org.fedledger.consensus;

/** Why a replica dropped an input; each is counted ({@link Replica#dropCounts()}). */
public enum Drop {
  /** A message whose fields are missing or out of range (e.g. garbage bytes, wrong hash length). */
  MALFORMED,
  /** A message for a view below the replica's. */
  STALE_VIEW,
  /** A normal-case message for a view above the replica's. */
  FUTURE_VIEW,
  /** A normal-case message while the replica is changing views. */
  VIEW_CHANGING,
  /** A PRE-PREPARE from a validator that is not the leader of its view, or a PREPARE from the leader. */
  NOT_LEADER,
  /** A sequence outside the watermarks (or already committed here). */
  OUT_OF_WINDOW,
  /** A message the replica already has. */
  DUPLICATE,
  /** A proposed block that fails validation. */
  INVALID_BLOCK,
  /** A second, different PRE-PREPARE for a (view, sequence) (kept as evidence), also one differing only in certify. */
  EQUIVOCATION,
  /** A PREPARE for the accepted block with the other certify flag: the leader sent different flags. */
  CERTIFY_MISMATCH,
  /** A signature that does not verify. */
  BAD_SIGNATURE,
  /** A VIEW-CHANGE that is not well formed or not signed by its sender. */
  INVALID_VIEW_CHANGE,
  /** A NEW-VIEW that is not signed by its leader or whose decision does not follow from its VIEW-CHANGEs. */
  INVALID_NEW_VIEW,
  /** State-transfer blocks that do not link to the head or lack a valid certificate. */
  INVALID_TRANSFER,
  /** A client transaction refused because the mempool is full. */
  MEMPOOL_FULL,
  /** A forwarded transaction that fails stateless validation. */
  INVALID_TX,
  /** A checkpoint for a sequence not above the stable checkpoint, or another stale fact. */
  STALE,
  /** A view-change block asked for that this replica does not hold (or asked again too soon). */
  BLOCK_NOT_HELD,
  /** A view-change block this replica did not ask for (or no longer needs). */
  UNWANTED_BLOCK
}
