package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedledger.consensus.ReplicaTest.GENESIS;
import static org.fedledger.consensus.ReplicaTest.NOW;
import static org.fedledger.consensus.ReplicaTest.ROOT0;
import static org.fedledger.consensus.ReplicaTest.config;
import static org.fedledger.consensus.ReplicaTest.configK8;
import static org.fedledger.consensus.ReplicaTest.forward;
import static org.fedledger.consensus.ReplicaTest.sent;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.fedledger.consensus.ReplicaTest.Bus;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.Commit;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.Prepare;
import org.junit.jupiter.api.Test;

/**
 * What a replica writes to its consensus log per block, and that a replica restored from it is the
 * one that wrote it: a slot record (with the block) when a PRE-PREPARE is accepted, a small prepared
 * mark when it becomes prepared, and at a stable checkpoint deletes of exactly the records that exist.
 */
class ConsensusLogRecordsTest {

  /** A backup (validator 1, K = 8) and the consensus log it wrote, applied Ready by Ready. */
  private static final class Logged {
    final Replica replica = Replica.create(configK8(config(1)), GENESIS, ROOT0);
    final TreeMap<ByteString, ByteString> log = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    int slotRecordPuts;
    int preparedMarkPuts;

    Logged() {
      replica.step(new Input.Tick(NOW));
    }

    Ready step(Input in) {
      Ready r = replica.step(in);
      for (Ready.Persist p : r.persist()) {
        if (p.isDelete()) {
          log.remove(p.key());
        } else {
          log.put(p.key(), p.value());
          slotRecordPuts += p.key().startsWith(LogKeys.SLOT_PREFIX) ? 1 : 0;
          preparedMarkPuts += p.key().startsWith(LogKeys.PREPARED_PREFIX) ? 1 : 0;
        }
      }
      return r;
    }

    Ready receive(int from, ConsensusMessage m) {
      return step(new Input.Receive(from, m));
    }

    Replica restore(ChainHead head, Hash root) {
      Replica restarted = Replica.restore(configK8(config(1)), head, root, new ArrayList<>(log.entrySet()));
      restarted.step(new Input.Tick(NOW));
      return restarted;
    }
  }

  /** Three PRE-PREPAREs of leader 0 (K = 8): certify flags true, false, true (first of the view, end of the burst). */
  private static List<PrePrepare> burstOf3() {
    Replica leader = Replica.create(configK8(config(0)), GENESIS, ROOT0);
    leader.step(new Input.Tick(NOW));
    List<PrePrepare> pps = sent(leader.step(new Input.Receive(1, forward(7, 1, 3))),
        ConsensusMessage.PayloadCase.PRE_PREPARE).stream().map(ConsensusMessage::getPrePrepare).toList();
    assertThat(pps).extracting(PrePrepare::getCertify).containsExactly(true, false, true);
    return pps;
  }

  private static ConsensusMessage msg(PrePrepare pp) {
    return ConsensusMessage.newBuilder().setPrePrepare(pp).build();
  }

  private static ConsensusMessage prepare(PrePrepare pp) {
    return ConsensusMessage.newBuilder().setPrepare(Prepare.newBuilder().setView(pp.getView())
        .setSequence(pp.getSequence()).setBlockHash(Blocks.hash(pp.getBlock()).bytes())
        .setCertify(pp.getCertify())).build();
  }

  /** Validator {@code from}'s COMMIT as an honest one sends it (signed for certified blocks). */
  private static ConsensusMessage commit(int from, PrePrepare pp) {
    Statements statements = new Statements(ReplicaTest.SIM.chain());
    ByteString hash = Blocks.hash(pp.getBlock()).bytes();
    ByteString sig = Certification.certified(pp.getSequence(), 8, pp.getCertify())
        ? ReplicaTest.key(from).sign(statements.commit(pp.getView(), pp.getSequence(), hash))
        : ByteString.EMPTY;
    return ConsensusMessage.newBuilder().setCommit(Commit.newBuilder().setView(pp.getView())
        .setSequence(pp.getSequence()).setBlockHash(hash).setSignature(sig)).build();
  }

  /** Every field a slot persists or derives at restore is equal in {@code restored}. */
  private static void assertSameSlots(Replica original, Replica restored) {
    assertThat(restored.slots.keySet()).isEqualTo(original.slots.keySet());
    for (Slot a : original.slots.values()) {
      Slot b = restored.slots.get(a.sequence);
      String at = "slot " + a.sequence;
      assertThat(b.toRecord()).as(at).isEqualTo(a.toRecord());
      assertThat(b.ppView).as(at).isEqualTo(a.ppView);
      assertThat(b.hash).as(at).isEqualTo(a.hash);
      assertThat(b.certify).as(at).isEqualTo(a.certify);
      assertThat(b.certifyPersistedView).as(at).isEqualTo(a.certifyPersistedView);
      assertThat(b.prePrepare).as(at).isEqualTo(a.prePrepare);
      assertThat(b.preparedView).as(at).isEqualTo(a.preparedView);
      assertThat(b.preparedHash).as(at).isEqualTo(a.preparedHash);
      assertThat(b.preparedBlock).as(at).isEqualTo(a.preparedBlock);
      assertThat(b.committed).as(at).isEqualTo(a.committed);
      assertThat(b.prePrepared).as(at).isEqualTo(a.prePrepared);
      // Its own PREPARE is derived from the restored PRE-PREPARE (none below the head, none without a block).
      if (a.block != null && a.sequence > restored.committedHead().height()) {
        assertThat(b.prepares[1]).as(at + ": its own PREPARE").isEqualTo(a.prepares[1]);
      }
      assertThat(b.loggedView).as(at).isEqualTo(a.loggedView);
      assertThat(b.loggedHash).as(at).isEqualTo(a.loggedHash);
    }
    assertThat(restored.loggedSlots).isEqualTo(original.loggedSlots);
    assertThat(restored.loggedCertify).isEqualTo(original.loggedCertify);
    assertThat(restored.loggedPrepared).isEqualTo(original.loggedPrepared);
  }

  @Test
  void aReplicaRestoredAfterEachPhaseHasTheSameSlots() {
    List<PrePrepare> pps = burstOf3();
    Logged backup = new Logged();

    // Pre-prepared: one slot record (with the block) per sequence, a certify mark where asked.
    for (PrePrepare pp : pps) {
      assertThat(sent(backup.receive(0, msg(pp)), ConsensusMessage.PayloadCase.PREPARE)).hasSize(1);
    }
    assertThat(backup.slotRecordPuts).isEqualTo(3);
    assertThat(backup.log).containsKeys(LogKeys.certify(1), LogKeys.certify(3)).doesNotContainKey(LogKeys.certify(2));
    assertSameSlots(backup.replica, backup.restore(GENESIS, ROOT0));

    // Prepared (2f = 2 PREPAREs: its own and another backup's, in a later step): a prepared mark each,
    // the slot record is not written again.
    List<ConsensusMessage> commits = new ArrayList<>();
    for (PrePrepare pp : pps) {
      commits.addAll(sent(backup.receive(2, prepare(pp)), ConsensusMessage.PayloadCase.COMMIT)); // 2f with its own
      commits.addAll(sent(backup.receive(3, prepare(pp)), ConsensusMessage.PayloadCase.COMMIT));
    }
    assertThat(commits).hasSize(3);
    assertThat(backup.slotRecordPuts).isEqualTo(3);
    assertThat(backup.preparedMarkPuts).isEqualTo(3);
    for (PrePrepare pp : pps) {
      assertThat(backup.log.get(LogKeys.prepared(pp.getSequence())))
          .isEqualTo(LogKeys.viewAndHash(0, Blocks.hash(pp.getBlock()).bytes()));
      assertThat(backup.replica.slots.get(pp.getSequence()).preparedView).isZero();
    }
    Replica restoredPrepared = backup.restore(GENESIS, ROOT0);
    assertSameSlots(backup.replica, restoredPrepared);
    // The restored replica reports what it prepared, as the original would in a VIEW-CHANGE.
    for (PrePrepare pp : pps) {
      assertThat(restoredPrepared.slots.get(pp.getSequence()).preparedHash).isEqualTo(Blocks.hash(pp.getBlock()));
    }

    // Committed: 2f+1 COMMITs, executed and stored; the head tells a restored replica they are committed.
    ChainHead head = GENESIS;
    Hash root = ROOT0;
    for (PrePrepare pp : pps) {
      for (int from : new int[] {0, 2}) {
        backup.receive(from, commit(from, pp));
      }
    }
    for (PrePrepare pp : pps) {
      Hash hash = Blocks.hash(pp.getBlock());
      BlockHeader h = ProposalCheck.header(pp.getBlock());
      head = new ChainHead(pp.getSequence(), hash, h.getTimestampMillis());
      root = Hash.sha256(hash.bytes());
      backup.step(new Input.Executed(pp.getSequence(), hash, root));
    }
    assertThat(backup.replica.committedHead().height()).isEqualTo(3);
    for (Slot s : backup.replica.slots.values()) {
      assertThat(s.committed).isTrue();
    }
    assertThat(backup.slotRecordPuts).as("committing writes no slot record").isEqualTo(3);
    assertSameSlots(backup.replica, backup.restore(head, root));
  }

  @Test
  void prepareVotesBeforeThePrePrepareGiveOneSlotRecordAndNoMark() throws Exception {
    List<PrePrepare> pps = burstOf3();
    Logged backup = new Logged();
    PrePrepare pp = pps.get(0);
    backup.receive(2, prepare(pp));
    Ready r = backup.receive(0, msg(pp));
    assertThat(sent(r, ConsensusMessage.PayloadCase.COMMIT)).hasSize(1); // prepared in the step that accepted it
    assertThat(r.persist()).extracting(Ready.Persist::key).containsOnlyOnce(LogKeys.slot(1))
        .doesNotContain(LogKeys.prepared(1));
    assertThat(backup.log).doesNotContainKey(LogKeys.prepared(1));
    assertThat(org.fedledger.proto.SlotRecord.parseFrom(backup.log.get(LogKeys.slot(1))).getPrepared()).isTrue();
    assertSameSlots(backup.replica, backup.restore(GENESIS, ROOT0));
  }

  @Test
  void rewritingASlotRecordDeletesItsPreparedMark() {
    List<PrePrepare> pps = burstOf3();
    Logged backup = new Logged();
    PrePrepare pp = pps.get(0);
    backup.receive(0, msg(pp));
    backup.receive(2, prepare(pp));
    assertThat(backup.log).containsKey(LogKeys.prepared(1));
    // As a NEW-VIEW that does not re-propose the block does: the slot forgets its PRE-PREPARE but
    // stays prepared (it reports that in its next VIEW-CHANGE); the whole record is written again.
    Slot s = backup.replica.slots.get(1L);
    s.clearPrePrepare();
    backup.replica.persistSlot(s);
    backup.step(new Input.Tick(NOW + 1));
    assertThat(backup.log).doesNotContainKey(LogKeys.prepared(1));
    assertThat(backup.replica.loggedPrepared).isEmpty();
    Replica restored = backup.restore(GENESIS, ROOT0);
    assertSameSlots(backup.replica, restored);
    assertThat(restored.slots.get(1L).block).isNull();
    assertThat(restored.slots.get(1L).preparedHash).isEqualTo(Blocks.hash(pp.getBlock()));
    assertThat(restored.slots.get(1L).preparedBlock).isEqualTo(pp.getBlock());
  }

  @Test
  void aPreparedMarkThatDoesNotNameItsRecordsBlockIsIgnored() {
    // Only a lost unsynced write of the record can leave one (the simulator loses batches one by one).
    List<PrePrepare> pps = burstOf3();
    Logged backup = new Logged();
    backup.receive(0, msg(pps.get(0)));
    backup.log.put(LogKeys.prepared(1), LogKeys.viewAndHash(0, Blocks.hash(pps.get(1).getBlock()).bytes()));
    backup.log.put(LogKeys.prepared(2), LogKeys.viewAndHash(0, Blocks.hash(pps.get(1).getBlock()).bytes()));
    Replica restored = backup.restore(GENESIS, ROOT0);
    assertThat(restored.slots.get(1L).preparedView).isEqualTo(-1);
    assertThat(restored.slots.get(1L).hash).isEqualTo(Blocks.hash(pps.get(0).getBlock()));
    assertThat(restored.slots.containsKey(2L)).isFalse();
    assertThat(restored.loggedPrepared).containsExactly(1L, 2L); // deleted at the next stable checkpoint
  }

  @Test
  void aStableCheckpointDeletesOnlyRecordsThatWereWritten() {
    Bus bus = new Bus(4, ReplicaTest::configK8);
    // One burst of 8 blocks: the leader asks a certificate of the first and the last only.
    bus.deliverAll(bus.step(0, new Input.Receive(1, forward(7, 1, 8))));
    for (int i = 0; i < 4; i++) {
      Replica r = bus.replicas[i];
      assertThat(r.committedHead().height()).isEqualTo(8);
      assertThat(r.stableCheckpoint().getSequence()).isEqualTo(8);
      assertThat(bus.deletes[i]).as("replica " + i + " collected its log").isPositive();
      assertThat(bus.absentDeletes[i]).as("replica " + i + ": deletes of records never written").isZero();
      assertThat(bus.logs.get(i).keySet()).noneMatch(k -> k.startsWith(LogKeys.SLOT_PREFIX)
          || k.startsWith(LogKeys.CERTIFY_PREFIX) || k.startsWith(LogKeys.PREPARED_PREFIX));
      assertThat(r.loggedSlots).isEmpty();
      assertThat(r.loggedCertify).isEmpty();
      assertThat(r.loggedPrepared).isEmpty();
    }
  }

  @Test
  void forgettingASequenceWithoutACertifyMarkWritesNoDeleteForIt() {
    List<PrePrepare> pps = burstOf3();
    Logged backup = new Logged();
    for (PrePrepare pp : pps) {
      backup.receive(0, msg(pp));
    }
    assertThat(backup.replica.loggedCertify).containsExactly(1L, 3L);
    // As a stable checkpoint at 3 does (Checkpoints.becomeStable).
    backup.replica.slots.headMap(3L, true).clear();
    backup.replica.forgetThrough(3);
    Ready r = backup.step(new Input.Tick(NOW + 1));
    List<ByteString> deleted = r.persist().stream().filter(Ready.Persist::isDelete).map(Ready.Persist::key).toList();
    assertThat(deleted).containsExactlyInAnyOrder(LogKeys.slot(1), LogKeys.slot(2), LogKeys.slot(3),
        LogKeys.certify(1), LogKeys.certify(3));
    assertThat(backup.log.keySet()).noneMatch(k -> k.startsWith(LogKeys.SLOT_PREFIX)
        || k.startsWith(LogKeys.CERTIFY_PREFIX) || k.startsWith(LogKeys.PREPARED_PREFIX));
  }

  /** The figures of the README: records written per 1-tx block and validator, W = 32, K = 64, L = 128. */
  @Test
  void oneSlotRecordPerBlockInTheNormalCase() {
    int blocks = 256;
    Bus bus = new Bus(4, c -> c.withPipeline(64, 32));
    for (int first = 1; first <= blocks; first += 32) {
      bus.deliverAll(bus.step(0, new Input.Receive(1, forward(7, first, 32))));
    }
    for (int i = 0; i < 4; i++) {
      assertThat(bus.replicas[i].committedHead().height()).isEqualTo(blocks);
      long slotPuts = bus.putsByKind.get(i).getOrDefault(LogKeys.SLOT_PREFIX.toStringUtf8(), 0L);
      System.out.printf("consensus log, validator %d: per block %.2f puts (%.2f slot records, %.2f prepared marks,"
          + " %.2f certify marks), %.2f deletes (%.2f of absent keys), %.0f bytes; puts by kind %s%n", i,
          bus.puts[i] / (double) blocks, slotPuts / (double) blocks,
          bus.putsByKind.get(i).getOrDefault(LogKeys.PREPARED_PREFIX.toStringUtf8(), 0L) / (double) blocks,
          bus.putsByKind.get(i).getOrDefault(LogKeys.CERTIFY_PREFIX.toStringUtf8(), 0L) / (double) blocks,
          bus.deletes[i] / (double) blocks, bus.absentDeletes[i] / (double) blocks, bus.bytes[i] / (double) blocks,
          bus.putsByKind.get(i));
      assertThat(slotPuts).as("validator " + i + ": the block is written once").isEqualTo(blocks);
      assertThat(bus.absentDeletes[i]).isZero();
    }
  }
}
