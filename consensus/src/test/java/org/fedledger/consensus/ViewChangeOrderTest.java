package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.PrePrepare;
import org.junit.jupiter.api.Test;

/**
 * Leader 0 is silent; replica 1 forwards its oldest transaction to it again (retransmission),
 * then becomes the leader of view 1. It must still propose a signer's transactions in arrival
 * order: before the fix, the retransmitted one went behind every later arrival (ClusterIT,
 * killed leader under load: an early nonce proposed behind more than the nonce window of later
 * ones, refused NONCE_TOO_OLD).
 */
class ViewChangeOrderTest {

  @Test
  void theNextLeaderProposesWhatItForwardedAgainBeforeLaterArrivals() {
    Replica[] r = new Replica[4];
    for (int i = 0; i < 4; i++) {
      r[i] = ReplicaTest.replica(i);
    }
    ParsedTx early = ReplicaTest.SIM.tx(6, 1);
    ParsedTx late = ReplicaTest.SIM.tx(6, 2);
    TreeMap<Long, PrePrepare> proposals = new TreeMap<>();
    List<ConsensusMessage> vcs = new ArrayList<>();
    long t = ReplicaTest.NOW;
    r[1].step(new Input.Request(early));
    for (int k = 0; k < 6; k++) { // one retransmit period (5 ticks) passes while the leader is silent
      r[1].step(new Input.Tick(t += 10));
    }
    r[1].step(new Input.Request(late));
    List<Envelope> forwardedAgain = new ArrayList<>();
    for (int k = 0; k < 6; k++) { // the next one forwards what is older than 5 ticks: early, not late
      for (Ready.Outbound o : r[1].step(new Input.Tick(t += 10)).send()) {
        if (o.to() == 0 && o.msg().hasForwardRequest()) {
          forwardedAgain.addAll(o.msg().getForwardRequest().getTransactionsList());
        }
      }
    }
    assertThat(forwardedAgain).as("replica 1 forwarded its oldest transaction to leader 0 again")
        .containsExactly(early.envelope());
    for (int i = 1; i <= 3; i++) {
      if (i != 1) {
        r[i].step(new Input.Request(ReplicaTest.SIM.tx(7, i)));
      }
      for (int k = 0; k < 40 && !r[i].isViewChanging(); k++) {
        for (Ready.Outbound o : r[i].step(new Input.Tick(t += 10)).send()) {
          if (o.msg().hasViewChange()) {
            vcs.add(o.msg());
          }
        }
      }
    }
    assertThat(vcs).hasSize(3);
    for (int k = 1; k < vcs.size(); k++) {
      for (Ready.Outbound o : r[1].step(new Input.Receive(k + 1, vcs.get(k))).send()) {
        if (o.msg().hasPrePrepare()) {
          proposals.put(o.msg().getPrePrepare().getSequence(), o.msg().getPrePrepare());
        }
      }
    }
    assertThat(r[1].view()).isEqualTo(1);
    for (int k = 0; k < 3; k++) { // let the pipeline propose
      for (Ready.Outbound o : r[1].step(new Input.Tick(t += 10)).send()) {
        if (o.msg().hasPrePrepare()) {
          proposals.put(o.msg().getPrePrepare().getSequence(), o.msg().getPrePrepare());
        }
      }
    }
    List<Envelope> proposed = new ArrayList<>();
    proposals.values().forEach(pp -> proposed.addAll(pp.getBlock().getTransactionsList()));
    proposed.retainAll(List.of(early.envelope(), late.envelope()));
    assertThat(proposed).containsExactly(early.envelope(), late.envelope());
  }
}
