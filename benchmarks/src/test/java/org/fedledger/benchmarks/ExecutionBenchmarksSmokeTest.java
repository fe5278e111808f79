package org.fedledger.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.fedledger.benchmarks.contracts.BlockExecution;
import org.fedledger.benchmarks.floors.StateLattice;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.node.store.BlockCommitter;
import org.junit.jupiter.api.Test;

/** The execution benchmarks run their operation once or a few times without JMH and produce what they claim. */
class ExecutionBenchmarksSmokeTest {
  @Test
  void blockExecutionCommitsConsecutiveBlocksWithEveryAdminTakingTurns() throws Exception {
    BlockExecution b = new BlockExecution();
    b.open();
    try {
      for (long h = 1; h <= 40; h++) { // more than the 32 admins: each one's second nonce too
        b.prepareNextBlock();
        BlockCommitter.Committed c = b.executeAndCommit(); // throws unless the update succeeded
        assertThat(c.height()).isEqualTo(h);
        assertThat(c.stateRoot()).isEqualTo(c.result().lattice().root());
      }
    } finally {
      b.close();
    }
  }

  @Test
  void stateLatticeAddsDistinctEntries() {
    StateLattice b = new StateLattice();
    b.setup();
    LtHash first = b.addEntry().copy();
    LtHash second = b.addEntry().copy();
    assertThat(second).isNotEqualTo(first);
    assertThat(b.root()).isEqualTo(second.root());
  }
}
