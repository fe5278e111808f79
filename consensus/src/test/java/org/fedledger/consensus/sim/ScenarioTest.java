package org.fedledger.consensus.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.fedledger.consensus.Drop;
import org.fedledger.consensus.Statements;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.proto.CertifiedBlock;
import org.junit.jupiter.api.Test;

/** The protocol's cases, told as stories on a simulated cluster. */
class ScenarioTest {

  @Test
  void fourValidatorsCommitEveryTransactionInViewZero() {
    Cluster cluster = Cluster.of(4, 1);
    for (int k = 0; k < 6; k++) {
      cluster.submit(k % 4);
    }
    cluster.tick(50);
    assertTrue(cluster.allCommitted());
    assertEquals(0, cluster.view());
  }

  @Test
  void anIsolatedLeaderIsReplacedAndCatchesUpAfterwards() {
    Cluster cluster = Cluster.of(4, 2);
    cluster.isolate(0);
    cluster.submit(1);
    cluster.tick(60);
    assertEquals(1, cluster.view());
    assertThat(cluster.height(1)).isEqualTo(1);
    cluster.heal();
    cluster.tick(100);
    assertTrue(cluster.allCommitted());
    assertEquals(1, cluster.view(0));
  }

  @Test
  void anIsolatedBackupCatchesUpByStateTransfer() {
    Cluster cluster = Cluster.of(4, 3);
    cluster.isolate(3);
    for (int k = 0; k < 12; k++) {
      cluster.submit(k % 3);
      cluster.tick(2);
    }
    cluster.tick(40);
    assertEquals(0, cluster.height(3));
    cluster.heal();
    cluster.tick(100);
    assertTrue(cluster.allCommitted());
    assertThat(cluster.replica(3).transferredBlocks()).isPositive();
  }

  @Test
  void aValidatorStartedWithAnEmptyDataDirectoryFetchesTheWholeChain() {
    Cluster cluster = Cluster.of(7, 4);
    for (int k = 0; k < 10; k++) {
      cluster.submit(k % 7);
      cluster.tick(3);
    }
    cluster.tick(30);
    long height = cluster.height(0);
    cluster.crash(5);
    cluster.restart(5, true);
    assertEquals(0, cluster.height(5));
    cluster.tick(100);
    assertEquals(height, cluster.height(5));
  }

  @Test
  void stateTransferCompletesWhenTheServingPeerCrashesMidway() {
    // Small batches (a replica asks for max(batch, K) blocks at once), so the transfer takes many requests.
    Cluster cluster = Cluster.of(4, 5, cfg -> cfg.withPipeline(4, 4).withTransferBatchBlocks(3));
    cluster.isolate(3);
    for (int k = 0; k < 30; k++) {
      cluster.submit(k % 3);
      cluster.tick(1);
    }
    cluster.tick(40);
    long target = cluster.height(0);
    cluster.heal();
    int peer = -1;
    for (int t = 0; t < 200 && peer < 0; t++) {
      cluster.tick(1);
      if (cluster.height(3) > 0 && cluster.height(3) < target) {
        peer = cluster.replica(3).transferPeer();
      }
    }
    assertThat(peer).as("replica 3 is mid-transfer").isNotNegative();
    cluster.crash(peer);
    cluster.tick(200);
    assertEquals(target, cluster.height(3));
  }

  @Test
  void anEquivocatingLeaderCannotForkTheChainAndIsReplaced() {
    Cluster cluster = Cluster.of(6, behaviors(4, 0, Behavior.EQUIVOCATE), c -> c);
    for (int k = 0; k < 5; k++) {
      cluster.submit(1 + k % 3);
    }
    cluster.tick(300);
    assertTrue(cluster.allCommitted());
    assertThat(cluster.view()).isPositive();
    assertThat(cluster.equivocationsProved).isPositive();
  }

  @Test
  void aWithholdingLeaderIsReplaced() {
    Cluster cluster = Cluster.of(7, behaviors(7, 0, Behavior.WITHHOLD), c -> c);
    cluster.submit(3);
    cluster.tick(100);
    assertTrue(cluster.allCommitted());
    assertEquals(1, cluster.view());
  }

  /** Heights of validator {@code i}'s blocks whose certificates carry signatures. */
  private static java.util.List<Long> certifiedHeights(Cluster cluster, int i) {
    return cluster.hosts[i][0].blocks.stream().filter(b -> b.getCertificate().getSignaturesCount() > 0)
        .map(b -> b.getCertificate().getHeight()).toList();
  }

  @Test
  void aLeaderThatNeverAsksForCertificatesStillCommitsAndALaggardCatchesUp() {
    Cluster cluster = Cluster.of(21, behaviors(4, 0, Behavior.NEVER_CERTIFY), c -> c.withBlocks(1, 1 << 20, 0));
    for (int k = 0; k < 15; k++) {
      cluster.submit(1 + k % 3); // bursts of three, whose first and last blocks an honest leader would certify
      if (k % 3 == 2) {
        cluster.tick(k % 6 == 5 ? 30 : 1);
      }
    }
    cluster.tick(100);
    cluster.crash(3);
    assertEquals(0, cluster.view(), "the leader is not faulty enough to be replaced");
    long height = cluster.height(1);
    assertThat(height).isGreaterThanOrEqualTo(15).isNotEqualTo(height / 4 * 4); // an uncertified tail at the head
    assertThat(certifiedHeights(cluster, 1)).as("only multiples of K = 4 are certified")
        .allMatch(h -> h % 4 == 0).hasSize((int) (height / 4));
    cluster.restart(3, true);
    cluster.tick(200);
    assertTrue(cluster.allCommitted(), "the validator restarted empty fetched the chain, its uncertified tail too");
    assertEquals(height, cluster.height(3));
    assertThat(cluster.replica(3).transferredBlocks()).isEqualTo(height);
  }

  @Test
  void aLoadedChainIsCertifiedEveryKBlocksAndAtTheEndOfTheLoad() {
    Cluster cluster = Cluster.of(4, 24, c -> c.withPipeline(8, 4).withBlocks(1, 1 << 20, 0));
    for (int k = 0; k < 60; k++) {
      cluster.submit(0); // 60 requests at once at the leader: one burst of 60 one-transaction blocks
    }
    cluster.tick(300);
    assertTrue(cluster.allCommitted());
    assertEquals(0, cluster.view());
    assertEquals(60, cluster.height(1));
    assertThat(certifiedHeights(cluster, 1)).as("first of the view, multiples of K = 8, end of the burst")
        .containsExactly(1L, 8L, 16L, 24L, 32L, 40L, 48L, 56L, 60L);
    cluster.crash(2);
    cluster.restart(2, true);
    cluster.tick(100);
    assertEquals(60, cluster.height(2));
    assertThat(certifiedHeights(cluster, 2)).isEqualTo(certifiedHeights(cluster, 1));
  }

  @Test
  void aLeaderThatCertifiesEveryBlockCostsSignaturesOnly() {
    Cluster cluster = Cluster.of(22, behaviors(4, 0, Behavior.CERTIFY_ALL), c -> c.withBlocks(1, 1 << 20, 0));
    for (int k = 0; k < 12; k++) {
      cluster.submit(1 + k % 3);
      cluster.tick(k % 4 == 0 ? 20 : 1);
    }
    cluster.tick(100);
    assertTrue(cluster.allCommitted());
    assertEquals(0, cluster.view());
    for (int i = 1; i < 4; i++) {
      assertThat(certifiedHeights(cluster, i)).hasSize((int) cluster.height(i)); // and every one verified
    }
  }

  /**
   * A leader that sends one block with certify to some backups and without to others (each
   * PRE-PREPARE validly signed): PREPAREs repeat the flag, so only backups told the same flag
   * prepare together; honest COMMITs never differ in shape (the cluster checks it on every send;
   * with the flag signed but not in PREPAREs this fails at tick 3), and the backup told the
   * minority flag catches up by state transfer, as one sent another block would.
   */
  @Test
  void aLeaderSplittingTheCertifyFlagCannotMakeHonestReplicasDisagree() {
    Cluster cluster = Cluster.of(25, behaviors(4, 0, Behavior.SPLIT_CERTIFY), c -> c.withBlocks(1, 1 << 20, 0));
    for (int k = 0; k < 12; k++) {
      cluster.submit(1 + k % 3);
      cluster.tick(k % 4 == 0 ? 20 : 1);
    }
    cluster.tick(400);
    assertTrue(cluster.allCommitted(), SimRun.state(cluster));
    assertThat(cluster.drops()).as("PREPAREs with the other flag do not count").containsKey(Drop.CERTIFY_MISMATCH);
    assertEquals(0, cluster.view(), "backups 1 and 3, told one flag, prepare and commit with the leader");
    assertThat(cluster.replica(2).transferredBlocks()).as("backup 2, told the other flag, fetches the blocks")
        .isPositive();
  }

  /** n = 7, three backups told each flag: neither side reaches 2f matching PREPAREs, the leader is replaced. */
  @Test
  void aCertifySplitWithoutAMajorityIsAViewChange() {
    Cluster cluster = Cluster.of(26, behaviors(7, 0, Behavior.SPLIT_CERTIFY), c -> c.withBlocks(1, 1 << 20, 0));
    cluster.submit(2);
    cluster.tick(200);
    assertTrue(cluster.allCommitted(), SimRun.state(cluster));
    assertThat(cluster.view()).as("the splitting leader of view 0 was replaced").isPositive();
    assertThat(cluster.drops()).containsKey(Drop.CERTIFY_MISMATCH);
  }

  @Test
  void validatorsSigningCommitsAgainstTheRuleAreDroppedAndCertificatesStillVerify() {
    Behavior[] b = new Behavior[7];
    Arrays.fill(b, Behavior.HONEST);
    b[3] = Behavior.JUNK_COMMIT_SIGNATURES;
    b[5] = Behavior.SIGN_UNCERTIFIED;
    Cluster cluster = Cluster.of(23, b, c -> c.withBlocks(1, 1 << 20, 0));
    for (int k = 0; k < 30; k++) {
      cluster.submit(k % 3); // three at once: the leader proposes three blocks, the middle one uncertified
      if (k % 3 == 2) {
        cluster.tick(k % 9 == 8 ? 20 : 1);
      }
    }
    cluster.tick(200);
    assertTrue(cluster.allCommitted());
    assertThat(cluster.drops()).containsKeys(Drop.MALFORMED, Drop.BAD_SIGNATURE);
    assertThat(cluster.certifiedCommits).isPositive(); // each one's 2f+1 signatures verified by the simulator
    assertThat(cluster.uncertifiedCommits).isPositive();
  }

  @Test
  void twinsOnBothSidesOfAPartitionCannotForkTheChain() {
    Cluster cluster = Cluster.of(8, behaviors(4, 0, Behavior.TWINS), c -> c);
    cluster.partition(new boolean[] {false, false, true, true}); // twin copies: 0 with {1}, 0' with {2, 3}
    for (int k = 0; k < 6; k++) {
      cluster.submit(1 + k % 3);
      cluster.tick(5);
    }
    cluster.tick(200);
    cluster.heal();
    cluster.tick(300);
    assertTrue(cluster.allCommitted());
  }

  @Test
  void garbageAndRandomVotesAreDroppedAndCounted() {
    Behavior[] b = new Behavior[7];
    Arrays.fill(b, Behavior.HONEST);
    b[2] = Behavior.GARBAGE;
    b[5] = Behavior.RANDOM_VOTES;
    Cluster cluster = Cluster.of(9, b, c -> c);
    for (int k = 0; k < 8; k++) {
      cluster.submit(k % 7);
      cluster.tick(5);
    }
    cluster.tick(200);
    assertTrue(cluster.allCommitted());
    assertThat(cluster.garbageSent).isPositive();
    assertThat(cluster.drops().values().stream().mapToLong(Long::longValue).sum()).isPositive();
  }

  @Test
  void aValidatorSigningJunkIsCaughtAndLaterCertificatesVerify() {
    Cluster cluster = Cluster.of(10, behaviors(4, 3, Behavior.RANDOM_VOTES), c -> c.withBlocks(1, 1 << 20, 0));
    for (int k = 0; k < 100; k++) {
      cluster.submit(k % 3);
      cluster.tick(2);
    }
    cluster.tick(100);
    assertTrue(cluster.allCommitted());
    Statements statements = new Statements(cluster.sim.chain);
    for (int i = 0; i < 3; i++) {
      java.util.List<CertifiedBlock> blocks = cluster.hosts[i][0].blocks;
      assertThat(blocks.size()).isGreaterThanOrEqualTo(100);
      for (CertifiedBlock b : blocks.subList(blocks.size() - 10, blocks.size())) {
        assertTrue(statements.verifyCommit(b.getCertificate(), b.getCertificate().getHeight(),
            Blocks.hash(b.getBlock())), "validator " + i + " block " + b.getCertificate().getHeight());
      }
    }
  }

  /**
   * A view-change storm: NEW-VIEWs are held back, so views pile up. Each replica's timer doubles
   * per timeout up to its cap (320 ticks here) and no further, so views advance about once per
   * cap, not once per base timeout; once a NEW-VIEW gets through and a block commits, the timer
   * is back at its base (20 ticks).
   */
  @Test
  void theViewChangeTimerBacksOffToItsCapInAStormAndResetsAfterProgress() {
    Cluster cluster = Cluster.of(4, 12); // timers 20..320 ticks
    cluster.isolate(0);
    cluster.censor(m -> m.hasNewView());
    cluster.submit(1);
    long maxTimeout = 0;
    int stormTicks = 4000;
    for (int t = 0; t < stormTicks; t++) {
      cluster.tick(1);
      for (int i = 1; i < 4; i++) {
        maxTimeout = Math.max(maxTimeout, cluster.replica(i).viewChangeTimeoutTicks());
      }
    }
    assertThat(maxTimeout).as("the back-off reached its cap and stayed there").isEqualTo(320);
    long views = cluster.view();
    // 20 + 40 + 80 + 160 ticks to reach the cap, then one view per 320 ticks at most (plus slack for joins)
    assertThat(views).as("views in the storm").isGreaterThan(4).isLessThanOrEqualTo(4 + stormTicks / 320 + 3);
    assertThat(cluster.height(1)).isZero();
    cluster.censor(null);
    cluster.heal();
    cluster.tick(800);
    assertTrue(cluster.allCommitted(), SimRun.state(cluster));
    for (int i = 0; i < 4; i++) {
      assertThat(cluster.replica(i).viewChangeTimeoutTicks()).as("timer of %d after progress", i).isEqualTo(20);
    }
  }

  /**
   * Found by seed 1603: after a restart the mempool's memory of committed ids is empty; a NEW-VIEW
   * re-proposing an already committed block put its transactions in flight, the next view change
   * released them, and every leader then proposed a transaction every replica refused as a replay.
   */
  @Test
  void aCommittedTransactionReProposedAfterARestartIsNeverProposedAgain() {
    Cluster cluster = Cluster.of(4, 11, cfg -> cfg.withPipeline(2, 1));
    cluster.submit(1);
    cluster.tick(30);
    assertTrue(cluster.allCommitted());
    for (int i = 0; i < 4; i++) {
      cluster.crash(i);
      cluster.restart(i, false);
    }
    cluster.isolate(0); // view 1: its NEW-VIEW re-proposes block 1, committed before the restart
    cluster.submit(1);
    cluster.tick(100);
    assertThat(cluster.view()).isEqualTo(1);
    assertThat(cluster.height(1)).isEqualTo(2);
    for (int k = 0; k < 3; k++) {
      cluster.submit(1 + k);
      cluster.tick(10);
    }
    cluster.tick(200);
    cluster.heal();
    cluster.tick(200);
    assertTrue(cluster.allCommitted(), "every transaction commits: " + SimRun.state(cluster));
    assertThat(cluster.view()).as("no view change after view 1").isEqualTo(1);
    assertThat(cluster.drops()).doesNotContainKey(org.fedledger.consensus.Drop.INVALID_BLOCK);
  }

  private static Behavior[] behaviors(int n, int who, Behavior what) {
    Behavior[] b = new Behavior[n];
    Arrays.fill(b, Behavior.HONEST);
    b[who] = what;
    return b;
  }
}
