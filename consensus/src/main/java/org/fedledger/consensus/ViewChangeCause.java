package org.fedledger.consensus;

/** Why a replica started a view change (for metrics and logs; the protocol does not care). */
public enum ViewChangeCause {
  /** Work was outstanding and the view made no progress within the (backed-off) timeout. */
  PROGRESS_TIMEOUT,
  /** A view change gathered 2f+1 votes but its leader sent no valid NEW-VIEW in time: try the next view. */
  NEW_VIEW_TIMEOUT,
  /** f+1 other replicas asked for a higher view, so at least one honest replica did (§4.5.2): join it. */
  JOINED_F_PLUS_ONE;

  /** The metric label: lower case. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
