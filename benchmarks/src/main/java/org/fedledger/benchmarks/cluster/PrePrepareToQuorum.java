package org.fedledger.benchmarks.cluster;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.fedledger.node.exec.ConsensusProbe;

/**
 * Consensus latency exactly as the issue defines it: from the leader handing a block's
 * PRE-PREPARE to its transport to the moment the block is executed and stored at 2f+1
 * validators. All validators share this JVM, so their {@code System.nanoTime()} agree.
 * Recording is switched on for measurement iterations only.
 */
final class PrePrepareToQuorum implements ConsensusProbe {
  private final int quorum;
  /** Per height: [PRE-PREPARE nanos (0: not seen), validators that stored it]. */
  private final ConcurrentHashMap<Long, long[]> heights = new ConcurrentHashMap<>();
  private final Histogram micros = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
  private volatile boolean recording;
  private long unmatched;

  PrePrepareToQuorum(int quorum) {
    this.quorum = quorum;
  }

  void recording(boolean on) {
    recording = on;
  }

  @Override
  public void prePrepareSent(int validator, long view, long sequence, long nanoTime) {
    heights.compute(sequence, (h, v) -> {
      long[] e = v == null ? new long[2] : v;
      if (e[0] == 0) {
        e[0] = nanoTime; // the first proposal of this height (a re-proposal after a view change keeps it)
      }
      return e;
    });
  }

  @Override
  public void blockStored(int validator, long height, long nanoTime) {
    long[] e = heights.compute(height, (h, v) -> {
      long[] x = v == null ? new long[2] : v;
      x[1]++;
      return x;
    });
    if (e[1] == quorum && recording) {
      synchronized (this) {
        if (e[0] == 0) {
          unmatched++;
        } else {
          micros.recordValue(Math.max(0, (nanoTime - e[0]) / 1_000));
        }
      }
    }
    if (e[1] >= LocalCluster.VALIDATORS) {
      heights.remove(height);
    }
  }

  /** One line: count and percentiles in microseconds. */
  synchronized String summary() {
    return String.format(java.util.Locale.ROOT,
        "PRE-PREPARE -> stored at %d validators: %d blocks (%d without a seen PRE-PREPARE); "
            + "p50 %d us, p90 %d us, p99 %d us, p99.9 %d us, max %d us",
        quorum, micros.getTotalCount(), unmatched, micros.getValueAtPercentile(50), micros.getValueAtPercentile(90),
        micros.getValueAtPercentile(99), micros.getValueAtPercentile(99.9), micros.getMaxValue());
  }
}
