package org.fedledger.benchmarks.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs each cluster benchmark for a few blocks without JMH, so that CI catches a benchmark
 * broken by a change in the node. Timings are JMH's business, not this test's.
 */
class ClusterBenchmarksSmokeTest {

  @ParameterizedTest
  @EnumSource(CommitRate.Load.class)
  void commitRateCommitsBlocksOfSuccessfulTransactions(CommitRate.Load load) {
    CommitRate b = new CommitRate();
    b.load = load;
    b.payload = AdminTransactions.Kind.UPDATE_SELF;
    b.presigned = 1_000;
    b.setup();
    try {
      CommitRate.Committed c = new CommitRate.Committed();
      long first = b.block(c);
      long last = first;
      for (int i = 0; i < 3; i++) {
        last = b.block(c);
      }
      assertThat(last).isEqualTo(first + 3);
      assertThat(c.txs).isGreaterThanOrEqualTo(4);
      if (load == CommitRate.Load.ONE_TX) {
        assertThat(c.txs).isEqualTo(4);
      }
    } finally {
      b.tearDown();
    }
    if (load == CommitRate.Load.ONE_TX) {
      // The feeder refills 64 free slots at a time (window 128): every call carries 64, each
      // answered (the feeder's close waits for that) accepted or refused for a full queue.
      assertThat(b.feeder.batches()).isPositive();
      assertThat(b.feeder.accepted() + b.feeder.retried()).isEqualTo(CommitRate.SUBMIT_BATCH * b.feeder.batches());
    }
  }

  @ParameterizedTest
  @EnumSource(AdminTransactions.Kind.class)
  void everyAdminTransactionKindSucceeds(AdminTransactions.Kind kind) {
    CommitRate b = new CommitRate();
    b.load = CommitRate.Load.BATCH_500;
    b.payload = kind;
    b.presigned = 500;
    b.setup();
    try {
      CommitRate.Committed c = new CommitRate.Committed();
      b.block(c);
      b.block(c);
      assertThat(c.txs).isGreaterThanOrEqualTo(2);
    } finally {
      b.tearDown();
    }
  }

  @ParameterizedTest
  @EnumSource(ConsensusLatency.Load.class)
  void consensusLatencyWaitsForTheProbeAtAQuorum(ConsensusLatency.Load load) {
    ConsensusLatency b = new ConsensusLatency();
    b.load = load;
    b.proposeDelayTicks = 1;
    b.presigned = 1_000;
    b.setup();
    try {
      long h1 = b.commit();
      long h2 = b.commit();
      assertThat(h2).isGreaterThan(h1);
      assertThat(b.watch.countAtLeast(h2)).isGreaterThanOrEqualTo(LocalCluster.QUORUM);
    } finally {
      b.tearDown();
    }
  }

  @Test
  void openLoopRecordsEveryCommittedTransaction() {
    OpenLoopLatency.Result r = OpenLoopLatency.run(50, 1, 0, 500);
    assertThat(r.committed() + r.refused()).isEqualTo(50);
    assertThat(r.lost()).isZero();
    assertThat(r.micros().getTotalCount()).isEqualTo(r.committed());
  }
}
