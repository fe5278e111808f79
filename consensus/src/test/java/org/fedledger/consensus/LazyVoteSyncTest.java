package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedledger.consensus.ReplicaTest.GENESIS;
import static org.fedledger.consensus.ReplicaTest.NOW;
import static org.fedledger.consensus.ReplicaTest.ROOT0;
import static org.fedledger.consensus.ReplicaTest.SIM;
import static org.fedledger.consensus.ReplicaTest.sent;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.Prepare;
import org.junit.jupiter.api.Test;

/**
 * Lazy vote sync by hand: which Readies ask for an fsync, and what a replica restored with and
 * without the clean-stop marker abstains from. (The simulator's power-failure runs are in
 * {@code sim.LazyVoteSyncScenarioTest} and {@code SeedsTest}.)
 */
class LazyVoteSyncTest {

  private static ReplicaConfig lazy(int i) {
    return ReplicaTest.config(i).withLazyVoteSync(true);
  }

  /** A consensus log that keeps every write (as after a process crash, or once synced). */
  private static final class Log {
    final TreeMap<ByteString, ByteString> records = new TreeMap<>(ByteString.unsignedLexicographicalComparator());

    Ready apply(Ready r) {
      for (Ready.Persist p : r.persist()) {
        if (p.isDelete()) {
          records.remove(p.key());
        } else {
          records.put(p.key(), p.value());
        }
      }
      return r;
    }

    List<Map.Entry<ByteString, ByteString>> scan() {
      return new ArrayList<>(records.entrySet());
    }
  }

  private static ConsensusMessage pp(PrePrepare p) {
    return ConsensusMessage.newBuilder().setPrePrepare(p).build();
  }

  private static ConsensusMessage prepare(PrePrepare p) {
    return ConsensusMessage.newBuilder().setPrepare(Prepare.newBuilder().setView(p.getView())
        .setSequence(p.getSequence()).setBlockHash(org.fedledger.ledger.chain.Blocks.hash(p.getBlock()).bytes())
        .setCertify(p.getCertify()))
        .build();
  }

  private static PrePrepare propose(Replica leader, long nonce) {
    Ready r = leader.step(new Input.Request(SIM.tx(0, nonce)));
    return sent(r, ConsensusMessage.PayloadCase.PRE_PREPARE).get(0).getPrePrepare();
  }

  @Test
  void onlyTheReservationAndCommitAreSyncedOnTheNormalPath() {
    Replica leader = Replica.create(lazy(0), GENESIS, ROOT0);
    leader.step(new Input.Tick(NOW));
    Replica backup = Replica.create(lazy(1), GENESIS, ROOT0);
    backup.step(new Input.Tick(NOW));

    Ready first = leader.step(new Input.Request(SIM.tx(0, 1)));
    assertThat(first.syncBeforeSend()).as("the leader's first proposal writes its reservation").isTrue();
    assertThat(first.persist()).extracting(Ready.Persist::key).contains(LogKeys.RESERVATION);
    PrePrepare pp1 = sent(first, ConsensusMessage.PayloadCase.PRE_PREPARE).get(0).getPrePrepare();

    Ready accepted = backup.step(new Input.Receive(0, pp(pp1)));
    assertThat(sent(accepted, ConsensusMessage.PayloadCase.PREPARE)).hasSize(1);
    assertThat(accepted.syncBeforeSend()).as("the backup's first PREPARE of the view writes its reservation").isTrue();

    Ready second = backup.step(new Input.Receive(0, pp(propose(leader, 2))));
    assertThat(sent(second, ConsensusMessage.PayloadCase.PREPARE)).hasSize(1);
    assertThat(second.persist()).extracting(Ready.Persist::key).contains(LogKeys.slot(2));
    assertThat(second.syncBeforeSend()).as("a PREPARE under the reservation is written, not fsynced").isFalse();

    Ready prepared = backup.step(new Input.Receive(2, prepare(pp1))); // with its own: 2f PREPAREs
    assertThat(sent(prepared, ConsensusMessage.PayloadCase.COMMIT)).hasSize(1);
    assertThat(prepared.syncBeforeSend()).as("the prepared record is durable before COMMIT leaves").isTrue();
  }

  @Test
  void withoutLazyVoteSyncEveryReadyWithRecordsIsSyncedAndNothingIsAbstained() {
    Log log = new Log();
    Replica leader = ReplicaTest.replica(0);
    Replica backup = ReplicaTest.replica(1);
    for (long nonce = 1; nonce <= 3; nonce++) {
      Ready r = log.apply(backup.step(new Input.Receive(0, pp(propose(leader, nonce)))));
      assertThat(r.syncBeforeSend()).isTrue();
    }
    Replica restored = Replica.restore(ReplicaTest.config(1), GENESIS, ROOT0, log.scan());
    assertThat(restored.abstainingThrough()).isEqualTo(-1);
  }

  @Test
  void aReplicaRestoredWithoutTheCleanStopMarkerAbstainsUpToItsReservation() {
    Log log = new Log();
    Replica leader = Replica.create(lazy(0), GENESIS, ROOT0);
    leader.step(new Input.Tick(NOW));
    Replica backup = Replica.create(lazy(1), GENESIS, ROOT0);
    backup.step(new Input.Tick(NOW));
    PrePrepare pp1 = propose(leader, 1);
    log.apply(backup.step(new Input.Receive(0, pp(pp1))));
    PrePrepare pp2 = propose(leader, 2);
    log.apply(backup.step(new Input.Receive(0, pp(pp2))));

    Replica restored = Replica.restore(lazy(1), GENESIS, ROOT0, log.scan());
    long through = restored.abstainingThrough();
    assertThat(through).as("abstains up to the durable reservation").isGreaterThanOrEqualTo(2);
    Ready firstStep = log.apply(restored.step(new Input.Tick(NOW + 10)));
    assertThat(firstStep.syncBeforeSend()).isTrue();
    assertThat(firstStep.persist()).extracting(Ready.Persist::key).contains(LogKeys.ABSTAIN);

    // The leader's PRE-PREPAREs again, or another block at the same sequences: no PREPARE either way.
    assertThat(sent(restored.step(new Input.Receive(0, pp(pp2))), ConsensusMessage.PayloadCase.PREPARE)).isEmpty();
    assertThat(sent(restored.step(new Input.Receive(0, pp(pp1))), ConsensusMessage.PayloadCase.PREPARE)).isEmpty();
    for (int t = 1; t <= 40; t++) {
      Ready r = restored.step(new Input.Tick(NOW + 10 + t * 10L));
      assertThat(sent(r, ConsensusMessage.PayloadCase.PREPARE)).as("no restored vote is retransmitted").isEmpty();
    }

    // A clean stop later does not lift the abstention: the votes it covers may still be out there.
    log.records.put(LogKeys.CLEAN_STOP, LogKeys.CLEAN_STOP_VALUE);
    Replica again = Replica.restore(lazy(1), GENESIS, ROOT0, log.scan());
    assertThat(again.abstainingThrough()).isEqualTo(through);
  }

  @Test
  void aCleanStopMarkerIsDeletedDurablyBeforeAnythingLeaves() {
    Log log = new Log();
    Replica leader = Replica.create(lazy(0), GENESIS, ROOT0);
    leader.step(new Input.Tick(NOW));
    Replica backup = Replica.create(lazy(1), GENESIS, ROOT0);
    backup.step(new Input.Tick(NOW));
    log.apply(backup.step(new Input.Receive(0, pp(propose(leader, 1)))));
    log.records.put(LogKeys.CLEAN_STOP, LogKeys.CLEAN_STOP_VALUE);

    Replica restored = Replica.restore(lazy(1), GENESIS, ROOT0, log.scan());
    assertThat(restored.abstainingThrough()).isEqualTo(-1);
    Ready first = log.apply(restored.step(new Input.Tick(NOW + 10)));
    assertThat(first.syncBeforeSend()).isTrue();
    assertThat(first.persist()).contains(new Ready.Persist(LogKeys.CLEAN_STOP, null));
    assertThat(log.records).doesNotContainKey(LogKeys.CLEAN_STOP);
    assertThat(sent(restored.step(new Input.Receive(0, pp(propose(leader, 2)))), ConsensusMessage.PayloadCase.PREPARE))
        .as("a cleanly stopped replica votes at once").hasSize(1);
  }

  @Test
  void aReplicaRestoredInTheMiddleOfAViewChangeAbstainsFromNothing() {
    Log log = new Log();
    Replica leader = Replica.create(lazy(0), GENESIS, ROOT0);
    leader.step(new Input.Tick(NOW));
    Replica backup = Replica.create(lazy(1), GENESIS, ROOT0);
    backup.step(new Input.Tick(NOW));
    log.apply(backup.step(new Input.Receive(0, pp(propose(leader, 1)))));
    boolean synced = false;
    for (int t = 1; t <= 200 && !backup.isViewChanging(); t++) {
      Ready r = log.apply(backup.step(new Input.Tick(NOW + t * 10L)));
      synced = r.syncBeforeSend();
    }
    assertThat(backup.isViewChanging()).isTrue();
    assertThat(synced).as("the VIEW-CHANGE leaves after its view record is durable").isTrue();
    Replica restored = Replica.restore(lazy(1), GENESIS, ROOT0, log.scan());
    assertThat(restored.view()).isEqualTo(1);
    assertThat(restored.abstainingThrough()).isEqualTo(-1);
  }
}
