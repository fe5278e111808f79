package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fedledger.ledger.exec.ParsedTx;
import org.junit.jupiter.api.Test;

/**
 * Retransmission to a silent leader must not reorder the pool: the replica that forwards is the
 * next leader after the view change, and it proposes in pool order. Reordering let one signer's
 * early nonce be proposed behind more than the nonce window of its later ones (ClusterIT,
 * killed leader under load: NONCE_TOO_OLD for an acknowledged transaction).
 */
class MempoolOrderTest {

  @Test
  void forwardingAgainKeepsArrivalOrderForTheNextProposal() {
    Mempool pool = new Mempool(100);
    ParsedTx n1 = ReplicaTest.SIM.tx(6, 1);
    ParsedTx n2 = ReplicaTest.SIM.tx(6, 2);
    ParsedTx n3 = ReplicaTest.SIM.tx(6, 3);
    pool.add(n1, 1);
    pool.add(n2, 1);
    List<ParsedTx> resent = pool.availableOlderThan(5, 1); // the leader is silent: forward the oldest again
    assertThat(resent).containsExactly(n1);
    pool.touch(resent, 6);
    pool.add(n3, 7); // arrives after the retransmission
    assertThat(pool.take(10, 1 << 20)).containsExactly(n1, n2, n3);
  }

  @Test
  void retransmissionSkipsWhatWasJustForwardedAndResendsItLater() {
    Mempool pool = new Mempool(100);
    ParsedTx n1 = ReplicaTest.SIM.tx(6, 1);
    ParsedTx n2 = ReplicaTest.SIM.tx(6, 2);
    pool.add(n1, 1);
    pool.add(n2, 1);
    pool.touch(pool.availableOlderThan(5, 1), 6);
    assertThat(pool.availableOlderThan(5, 10)).containsExactly(n2);
    assertThat(pool.availableOlderThan(6, 10)).containsExactly(n1, n2);
    assertThat(pool.oldestAvailableTick()).isEqualTo(1);
  }
}
