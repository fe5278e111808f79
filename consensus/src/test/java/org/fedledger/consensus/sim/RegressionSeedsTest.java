package org.fedledger.consensus.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every seed that once failed, kept as a fixed case. Each comment names the bug it found.
 * (Seeds replay through {@link SimRun}; when SimRun's plan changes, the scenario changes too, so
 * each bug also has a focused test elsewhere.)
 */
class RegressionSeedsTest {

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {
      // 11: a GARBAGE validator served a state-transfer batch whose transactions were corrupted below a
      //     validly certified block; the header hash chain held, so the receiver committed transactions
      //     nobody submitted. Fixed: transferred and view-change blocks are checked against their tx root.
      11,
      // 1066: the simulator wiped the data directory of an honest validator while a Twins pair was
      //       already the one fault of n = 4: two faults, and a fork. Amnesia is a fault; the
      //       simulator now keeps wiped + Byzantine validators within f.
      1066,
      // 1430, 1445: a state-transfer batch carried, below its certified top block, a block with another
      //       block's certificate; it was stored with it. Fixed: each block's certificate must name it.
      1430, 1445,
      // 1471: NEW-VIEW could never be decided (liveness): set Q kept only the newest PRE-PREPARE per
      //       sequence, so rule A2 lost the f+1 witnesses of a block prepared in an earlier view. Fixed:
      //       Q keeps every block pre-prepared at its highest view (bounded), as TOCS §4.4 specifies.
      1471,
      // 443: after a restart the mempool forgot which transactions were committed; a client's retry was
      //      proposed and committed a second time (the executor refused its replayed nonce, but the
      //      chain held it twice). Fixed: create/restore take the store's committed-transaction lookup.
      443,
      // 107839 (soak): a block that reached 2f+1 COMMITs while a lower block was still missing waited to
      //     be handed over; a view change cleared its votes, and it was then emitted with a certificate
      //     built from the new view's few votes (1 signer). Peers fetching it by state transfer refused
      //     it forever (liveness). Fixed: the certificate is frozen when the quorum is reached; the
      //     simulator now checks every committed certificate has 2f+1 signers.
      107839,
  })
  void seedStaysGreen(long seed) {
    SimRun.Outcome o = SimRun.run(seed);
    assertThat(o.height()).isPositive();
  }
}
