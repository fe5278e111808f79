package org.fedledger.benchmarks.cluster;

import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.fedledger.proto.Envelope;

/**
 * The k-th transaction of a workload: the first {@code count} signed up front (in parallel, so a
 * run measures the node and not the client's signing), later ones signed when asked for and
 * counted. Not thread-safe: the workloads call it under their own lock.
 */
final class Presigned {
  private final IntFunction<Envelope> signer;
  private final Envelope[] signed;
  private long signedDuringRun;

  Presigned(int count, IntFunction<Envelope> signer) {
    this.signer = signer;
    this.signed = IntStream.range(0, count).parallel().mapToObj(signer).toArray(Envelope[]::new);
  }

  /** Transaction {@code k} (each k is asked for once: a presigned one is released). */
  Envelope get(int k) {
    if (k < signed.length) {
      Envelope e = signed[k];
      signed[k] = null;
      return e;
    }
    signedDuringRun++;
    return signer.apply(k);
  }

  long signedDuringRun() {
    return signedDuringRun;
  }
}
