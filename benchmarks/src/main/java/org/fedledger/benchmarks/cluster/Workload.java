package org.fedledger.benchmarks.cluster;

import org.fedledger.proto.Envelope;

/** A source of signed transactions for a {@link Feeder}. */
public interface Workload {
  /** The next transaction to submit, or null when none may be submitted now (try again later). */
  Envelope next();

  /** Transactions that had to be signed during the run because the pre-signed ones ran out. */
  long signedDuringRun();
}
