package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeSet;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.junit.jupiter.api.Test;

/** The mempool never offers a transaction the store already holds (seed 1603's livelock). */
class MempoolTest {

  @Test
  void aStoredTransactionOfAReProposedBlockNeverBecomesAvailable() {
    TreeSet<Hash> stored = new TreeSet<>();
    Mempool pool = new Mempool(100);
    pool.stored = stored::contains; // after a restart: only the store remembers what committed
    ParsedTx tx = ReplicaTest.SIM.tx(6, 1);
    stored.add(tx.id());
    pool.markInFlight(List.of(tx), 1); // a NEW-VIEW re-proposes the committed block
    pool.releaseInFlight(); // the next view change
    assertThat(pool.availableCount()).isZero();
    assertThat(pool.isEmpty()).isTrue();
    assertThat(pool.add(tx, 2)).isEqualTo(Mempool.Added.KNOWN);
  }

  @Test
  void aTransactionCommittedWhilePooledIsNotProposed() {
    TreeSet<Hash> stored = new TreeSet<>();
    Mempool pool = new Mempool(100);
    pool.stored = stored::contains;
    ParsedTx a = ReplicaTest.SIM.tx(6, 2);
    ParsedTx b = ReplicaTest.SIM.tx(6, 3);
    pool.add(a, 1);
    pool.add(b, 1);
    stored.add(a.id()); // committed through state transfer, say
    assertThat(pool.take(10, 1 << 20)).containsExactly(b);
    assertThat(pool.size()).isEqualTo(1);
  }
}
