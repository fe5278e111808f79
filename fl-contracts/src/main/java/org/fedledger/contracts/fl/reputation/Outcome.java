package org.fedledger.contracts.fl.reputation;

/** What a round's robust filter made of one accepted update. */
public enum Outcome {
  /** Kept by the filter and aggregated: the evidence counts for the participant. */
  SELECTED,
  /** Left out, but within the reject margin of the round's median score: no evidence. */
  NOT_SELECTED,
  /** Left out by a clear margin: the evidence counts against the participant. */
  FILTERED
}
