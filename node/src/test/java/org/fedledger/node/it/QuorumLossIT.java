package org.fedledger.node.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fedledger.proto.Envelope;
import org.junit.jupiter.api.Test;

/** Four validators as child JVMs: with two of them down nothing commits; one returning resumes progress. */
class QuorumLossIT extends ClusterTestBase {
  QuorumLossIT() {
    super("quorum-loss-it");
  }

  @Test
    void withTwoOfFourDownNothingCommitsAndOneReturningResumesProgress() throws Exception {
    int leader = cluster.status(0).orElseThrow().getLeader();
    int down1 = (leader + 1) % 4;
    int down2 = (leader + 2) % 4;
    cluster.kill(down1);
    cluster.kill(down2);
    List<Integer> live = others(down1);
    live.remove(Integer.valueOf(down2));
    long height = cluster.status(live.get(0)).orElseThrow().getHeight();
    Envelope stuck = loads.get(2).next("two-down");
    Load.submit(cluster, live, stuck);
    acknowledged.put(Load.id(stuck), stuck);
    // Without a quorum (2 of 4 < 2f+1 = 3) nothing may commit: watch for a while.
    Thread.sleep(4_000);
    for (int v : live) {
      assertThat(cluster.status(v).orElseThrow().getHeight()).as("height of live validator " + v).isEqualTo(height);
    }
    assertThatNoReceipt(live.get(0), Load.id(stuck));
    cluster.start(down1);
    awaitCommitted(List.of(stuck), live);
    cluster.start(down2);
    catchUp(down2);
    assertSameChain(List.of(0, 1, 2, 3));
    assertCommittedExactlyOnce(down2);
  }
}
