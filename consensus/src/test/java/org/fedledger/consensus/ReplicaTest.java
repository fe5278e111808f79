package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedledger.consensus.Ready.Outbound;
import org.fedledger.consensus.sim.SimChain;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.Prepare;
import org.junit.jupiter.api.Test;

/** The normal case, checkpoints and restart safety, driven by calling {@code step} by hand. */
class ReplicaTest {
  static final SimChain SIM = SimChain.of(4);
  static final ChainHead GENESIS = new ChainHead(0, Hash.sha256(ByteString.copyFromUtf8("genesis")),
      SimChain.GENESIS_MILLIS);
  static final Hash ROOT0 = Hash.sha256(ByteString.copyFromUtf8("root"));
  static final long NOW = SimChain.GENESIS_MILLIS + 1_000;

  static ReplicaConfig config(int i) {
    return ReplicaConfig.defaults(SIM.chain(), i, key(i)).withPipeline(2, 3).withBlocks(1, 1 << 20, 0)
        .withTimers(20, 80, 5, 10);
  }

  static org.fedledger.ledger.crypto.KeyPair key(int i) {
    return org.fedledger.ledger.crypto.Ed25519.fromSeed(seed(i));
  }

  private static byte[] seed(int i) {
    byte[] s = new byte[32];
    s[0] = 1;
    s[1] = (byte) i;
    s[31] = 42;
    return s;
  }

  static Replica replica(int i) {
    Replica r = Replica.create(config(i), GENESIS, ROOT0);
    r.step(new Input.Tick(NOW));
    return r;
  }

  static List<ConsensusMessage> sent(Ready r, ConsensusMessage.PayloadCase kind) {
    List<ConsensusMessage> out = new ArrayList<>();
    for (Outbound o : r.send()) {
      if (o.msg().getPayloadCase() == kind) {
        out.add(o.msg());
      }
    }
    return out;
  }

  @Test
  void aBackupPersistsItsAcceptanceBeforeItsPrepareLeaves() {
    Replica leader = replica(0);
    Replica backup = replica(1);
    ParsedTx tx = SIM.tx(0, 1);
    Ready proposal = leader.step(new Input.Request(tx));
    PrePrepare pp = sent(proposal, ConsensusMessage.PayloadCase.PRE_PREPARE).get(0).getPrePrepare();
    assertThat(pp.getSequence()).isEqualTo(1);
    assertThat(sent(proposal, ConsensusMessage.PayloadCase.FORWARD_REQUEST)).hasSize(1);

    Ready r = backup.step(new Input.Receive(0, ConsensusMessage.newBuilder().setPrePrepare(pp).build()));
    assertThat(r.persist()).extracting(Ready.Persist::key).contains(LogKeys.slot(1));
    Prepare p = sent(r, ConsensusMessage.PayloadCase.PREPARE).get(0).getPrepare();
    assertThat(p.getBlockHash()).isEqualTo(Blocks.hash(pp.getBlock()).bytes());
  }

  @Test
  void fourReplicasCommitWithAVerifiableCertificate() {
    Bus bus = new Bus(4);
    ParsedTx tx = SIM.tx(1, 1);
    bus.deliverAll(bus.step(2, new Input.Request(tx)));
    for (int i = 0; i < 4; i++) {
      assertThat(bus.committed.get(i)).as("replica " + i).hasSize(1);
      Ready.CommittedBlock c = bus.committed.get(i).get(0);
      assertThat(c.txs()).extracting(ParsedTx::id).containsExactly(tx.id());
      CommitCertificate cert = c.block().getCertificate();
      assertThat(new Statements(SIM.chain()).verifyCommit(cert, 1, Blocks.hash(c.block().getBlock()))).isTrue();
    }
  }

  @Test
  void theLeaderPipelinesAtMostWBlocks() {
    Replica leader = replica(0);
    int proposals = 0;
    for (int k = 1; k <= 5; k++) {
      proposals += sent(leader.step(new Input.Request(SIM.tx(2, k))), ConsensusMessage.PayloadCase.PRE_PREPARE).size();
    }
    assertThat(proposals).isEqualTo(3); // W = 3, one transaction per block
  }

  /** The leader's proposals (by sequence; it re-sends them while stalled) for 7 transactions under the limits. */
  private static List<PrePrepare> proposalsFor7(int txMax, int bytesMax) {
    Replica leader = Replica.create(config(0).withPipeline(8, 8).withBlocks(txMax, bytesMax, 5), GENESIS, ROOT0);
    TreeMap<Long, PrePrepare> pps = new TreeMap<>();
    long t = NOW;
    leader.step(new Input.Tick(t));
    for (int k = 1; k <= 7; k++) {
      sent(leader.step(new Input.Request(SIM.tx(4, k))), ConsensusMessage.PayloadCase.PRE_PREPARE)
          .forEach(m -> pps.put(m.getPrePrepare().getSequence(), m.getPrePrepare()));
    }
    for (int k = 0; k < 10; k++) {
      sent(leader.step(new Input.Tick(t += 10)), ConsensusMessage.PayloadCase.PRE_PREPARE)
          .forEach(m -> pps.put(m.getPrePrepare().getSequence(), m.getPrePrepare()));
    }
    return new ArrayList<>(pps.values());
  }

  @Test
  void anIdleLeaderProposesALoneRequestAtOnceAndABusyOneWaitsToBatch() {
    Replica leader = Replica.create(config(0).withPipeline(8, 8).withBlocks(10, 1 << 20, 5), GENESIS, ROOT0);
    long t = NOW;
    leader.step(new Input.Tick(t));
    assertThat(sent(leader.step(new Input.Request(SIM.tx(4, 1))), ConsensusMessage.PayloadCase.PRE_PREPARE))
        .as("nothing in flight: no reason to wait").hasSize(1);
    assertThat(sent(leader.step(new Input.Request(SIM.tx(4, 2))), ConsensusMessage.PayloadCase.PRE_PREPARE))
        .as("a block in flight: wait up to the propose delay for more").isEmpty();
    int proposed = 0;
    for (int k = 0; k < 5 && proposed == 0; k++) {
      proposed = sent(leader.step(new Input.Tick(t += 10)), ConsensusMessage.PayloadCase.PRE_PREPARE).size();
    }
    assertThat(proposed).as("proposed once the delay passed").isEqualTo(1);
  }

  @Test
  void proposalsAreBoundedByTransactionCountAndBytes() {
    // an idle leader proposes the first request at once; while that block is in flight it
    // batches the next ones up to the limits (or until the propose delay passes)
    assertThat(proposalsFor7(3, 1 << 20)).extracting(pp -> pp.getBlock().getTransactionsCount())
        .containsExactly(1, 3, 3);
    int size = SIM.tx(4, 1).envelope().getSerializedSize();
    int bytesMax = 2 * size + size / 2;
    List<PrePrepare> byBytes = proposalsFor7(3, bytesMax);
    assertThat(byBytes).extracting(pp -> pp.getBlock().getTransactionsCount()).containsExactly(1, 2, 2, 2);
    for (PrePrepare pp : byBytes) {
      assertThat(pp.getBlock().getTransactionsList().stream().mapToInt(e -> e.getSerializedSize()).sum())
          .isLessThanOrEqualTo(bytesMax);
    }
  }

  @Test
  void checkpointsBecomeStableAndTheLogIsCollected() {
    Bus bus = new Bus(4);
    for (int k = 1; k <= 4; k++) {
      bus.deliverAll(bus.step(0, new Input.Request(SIM.tx(3, k))));
    }
    for (int i = 0; i < 4; i++) {
      assertThat(bus.replicas[i].committedHead().height()).isEqualTo(4);
      assertThat(bus.replicas[i].stableCheckpoint().getSequence()).as("K = 2").isEqualTo(4);
      assertThat(bus.replicas[i].logSize()).isZero();
      assertThat(bus.logs.get(i).keySet()).noneMatch(k -> k.startsWith(LogKeys.SLOT_PREFIX));
    }
  }

  @Test
  void aRestartedReplicaNeverPreparesASecondBlockForTheSameSlot() {
    Replica leader = replica(0);
    Replica backup = replica(1);
    Ready a = leader.step(new Input.Request(SIM.tx(4, 1)));
    PrePrepare first = sent(a, ConsensusMessage.PayloadCase.PRE_PREPARE).get(0).getPrePrepare();
    Ready accepted = backup.step(new Input.Receive(0, ConsensusMessage.newBuilder().setPrePrepare(first).build()));
    List<Map.Entry<ByteString, ByteString>> records = new ArrayList<>();
    for (Ready.Persist p : accepted.persist()) {
      records.add(Map.entry(p.key(), p.value()));
    }
    Replica restarted = Replica.restore(config(1), GENESIS, ROOT0, records);
    restarted.step(new Input.Tick(NOW));

    Replica otherLeader = replica(0);
    PrePrepare second = sent(otherLeader.step(new Input.Request(SIM.tx(4, 2))), ConsensusMessage.PayloadCase.PRE_PREPARE)
        .get(0).getPrePrepare();
    assertThat(Blocks.hash(second.getBlock())).isNotEqualTo(Blocks.hash(first.getBlock()));
    Ready r = restarted.step(new Input.Receive(0, ConsensusMessage.newBuilder().setPrePrepare(second).build()));
    assertThat(sent(r, ConsensusMessage.PayloadCase.PREPARE)).isEmpty();
    assertThat(r.evidence()).hasSize(1); // both proposals carry leader 0's signature
    assertThat(restarted.dropCounts()).containsKey(Drop.EQUIVOCATION);
  }

  @Test
  void badPeerInputIsDroppedAndCounted() {
    Replica r = replica(1);
    r.step(new Input.Receive(2, ConsensusMessage.newBuilder().setPrepare(Prepare.newBuilder().setView(0)
        .setSequence(1).setBlockHash(ByteString.copyFromUtf8("short"))).build()));
    r.step(new Input.Receive(2, ConsensusMessage.getDefaultInstance()));
    r.step(new Input.Receive(3, ConsensusMessage.newBuilder().setPrePrepare(PrePrepare.newBuilder().setView(0)
        .setSequence(1)).build()));
    r.step(new Input.Receive(9, ConsensusMessage.getDefaultInstance()));
    assertThat(r.dropCounts()).containsEntry(Drop.MALFORMED, 3L).containsEntry(Drop.NOT_LEADER, 1L);
  }

  @Test
  void theViewChangeTimerBacksOffAndIsCapped() {
    Replica r = replica(1);
    assertThat(r.timeoutTicks()).isEqualTo(20);
    r.timeoutsInARow = 2;
    assertThat(r.timeoutTicks()).isEqualTo(80);
    r.timeoutsInARow = 30;
    assertThat(r.timeoutTicks()).isEqualTo(80);
    r.progress();
    assertThat(r.timeoutTicks()).isEqualTo(20);
  }

  @Test
  void aLoneTimeoutDoesNotRaceThroughViews() {
    Replica r = replica(1);
    r.step(new Input.Request(SIM.tx(5, 1)));
    long t = NOW;
    for (int k = 0; k < 500; k++) {
      r.step(new Input.Tick(t += 10));
    }
    assertThat(r.isViewChanging()).isTrue();
    assertThat(r.view()).isEqualTo(1); // no 2f+1 VIEW-CHANGEs for view 1: it waits instead of escalating
  }

  @Test
  void configProblemsNameTheirField() {
    ReplicaConfig bad = config(0).withPipeline(0, -1);
    assertThatThrownBy(bad::validate).hasMessageContaining("checkpointIntervalBlocks").hasMessageContaining(
        "windowBlocks");
    ReplicaConfig wrongKey = new ReplicaConfig(SIM.chain(), 0, key(1), 2, 2, 10, 10, 5, 5, 1, 1000, 0, 10, 10);
    assertThat(wrongKey.problems()).anyMatch(p -> p.startsWith("keys"));
  }

  // ---------------------------------------------------------------- certified blocks (K = 8 here)

  static ReplicaConfig configK8(ReplicaConfig c) {
    return c.withPipeline(8, 8);
  }

  /** A FORWARD_REQUEST of {@code count} fresh transactions of client {@code client}, from nonce {@code first}. */
  static ConsensusMessage forward(int client, int first, int count) {
    org.fedledger.proto.ForwardRequest.Builder b = org.fedledger.proto.ForwardRequest.newBuilder();
    for (int k = 0; k < count; k++) {
      b.addTransactions(SIM.tx(client, first + k).envelope());
    }
    return ConsensusMessage.newBuilder().setForwardRequest(b).build();
  }

  @Test
  void theLeaderAsksForACertificateOnItsFirstProposalAndAtTheEndOfEachBurst() {
    Replica leader = startedK8(0);
    List<PrePrepare> burst1 = sent(leader.step(new Input.Receive(1, forward(7, 1, 3))),
        ConsensusMessage.PayloadCase.PRE_PREPARE).stream().map(ConsensusMessage::getPrePrepare).toList();
    assertThat(burst1).extracting(PrePrepare::getSequence).containsExactly(1L, 2L, 3L);
    assertThat(burst1).extracting(PrePrepare::getCertify).as("first of the view, middle, end of the burst")
        .containsExactly(true, false, true);
    List<PrePrepare> burst2 = sent(leader.step(new Input.Receive(1, forward(7, 4, 4))),
        ConsensusMessage.PayloadCase.PRE_PREPARE).stream().map(ConsensusMessage::getPrePrepare).toList();
    assertThat(burst2).extracting(PrePrepare::getSequence).containsExactly(4L, 5L, 6L, 7L);
    assertThat(burst2).extracting(PrePrepare::getCertify).containsExactly(false, false, false, true);
  }

  @Test
  void onlyCertifiedBlocksGetSignaturesAndEveryBlockCommits() {
    Bus bus = new Bus(4, ReplicaTest::configK8);
    bus.deliverAll(bus.step(0, new Input.Receive(1, forward(7, 1, 3))));
    Statements statements = new Statements(SIM.chain());
    for (int i = 0; i < 4; i++) {
      List<Ready.CommittedBlock> c = bus.committed.get(i);
      assertThat(c).as("replica " + i).extracting(Ready.CommittedBlock::height).containsExactly(1L, 2L, 3L);
      for (Ready.CommittedBlock b : c) {
        CommitCertificate cert = b.block().getCertificate();
        Hash hash = Blocks.hash(b.block().getBlock());
        assertThat(cert.getBlockHash()).isEqualTo(hash.bytes());
        if (b.height() == 2) {
          assertThat(cert.getSignaturesCount()).as("block 2 is not certified").isZero();
        } else {
          assertThat(statements.verifyCommit(cert, b.height(), hash)).as("block " + b.height()).isTrue();
        }
      }
      assertThat(bus.replicas[i].dropCounts()).doesNotContainKeys(Drop.MALFORMED, Drop.BAD_SIGNATURE);
    }
  }

  @Test
  void aCommitSignedAgainstTheRuleIsDroppedAsMalformed() {
    Replica leader = startedK8(0);
    Replica backup = startedK8(1);
    List<ConsensusMessage> pps = sent(leader.step(new Input.Receive(1, forward(7, 1, 3))),
        ConsensusMessage.PayloadCase.PRE_PREPARE);
    // A signed COMMIT for block 2 arrives before its PRE-PREPARE: its shape is checked once the block is known.
    ByteString junk = ByteString.copyFrom(new byte[64]);
    backup.step(new Input.Receive(2, commit(2, pps.get(1).getPrePrepare(), junk)));
    for (ConsensusMessage pp : pps) {
      backup.step(new Input.Receive(0, pp));
    }
    backup.step(new Input.Receive(3, commit(2, pps.get(1).getPrePrepare(), junk)));       // uncertified, signed
    backup.step(new Input.Receive(3, commit(1, pps.get(0).getPrePrepare(), ByteString.EMPTY))); // certified, unsigned
    backup.step(new Input.Receive(3, commit(3, pps.get(2).getPrePrepare(), ByteString.copyFrom(new byte[10]))));
    assertThat(backup.dropCounts()).containsEntry(Drop.MALFORMED, 3L);
    for (int seq = 1; seq <= 2; seq++) {
      PrePrepare pp = pps.get(seq - 1).getPrePrepare();
      backup.step(new Input.Receive(2, prepare(pp, pp.getCertify())));
    }
    // Blocks 1 and 2 are prepared now and the backup COMMITs them, so the early signed COMMIT of validator 2 is judged (and dropped) too.
    assertThat(backup.dropCounts()).containsEntry(Drop.MALFORMED, 4L);
  }

  /** Validator {@code self} with K = 8, fresh from genesis, after its first tick. */
  private static Replica startedK8(int self) {
    Replica r = Replica.create(configK8(config(self)), GENESIS, ROOT0);
    r.step(new Input.Tick(NOW));
    return r;
  }

  private static ConsensusMessage commit(long sequence, PrePrepare pp, ByteString signature) {
    return ConsensusMessage.newBuilder().setCommit(org.fedledger.proto.Commit.newBuilder().setView(0)
        .setSequence(sequence).setBlockHash(Blocks.hash(pp.getBlock()).bytes()).setSignature(signature)).build();
  }

  @Test
  void aRestartedBackupRemembersWhichBlocksItMustSignCommitsFor() {
    Replica leader = startedK8(0);
    Replica backup = startedK8(1);
    List<ConsensusMessage> pps = sent(leader.step(new Input.Receive(1, forward(7, 1, 2))),
        ConsensusMessage.PayloadCase.PRE_PREPARE);
    assertThat(pps).extracting(m -> m.getPrePrepare().getCertify()).containsExactly(true, true);
    TreeMap<ByteString, ByteString> log = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    for (ConsensusMessage pp : pps) {
      for (Ready.Persist p : backup.step(new Input.Receive(0, pp)).persist()) {
        log.put(p.key(), p.value());
      }
    }
    assertThat(log).containsKeys(LogKeys.certify(1), LogKeys.certify(2));
    Replica restarted = Replica.restore(configK8(config(1)), GENESIS, ROOT0, new ArrayList<>(log.entrySet()));
    restarted.step(new Input.Tick(NOW));
    List<ConsensusMessage> commits = new ArrayList<>();
    for (ConsensusMessage pp : pps) {
      for (int from : new int[] {2, 3}) {
        commits.addAll(sent(restarted.step(new Input.Receive(from, prepare(pp.getPrePrepare(), true))),
            ConsensusMessage.PayloadCase.COMMIT)); // the flag of the accepted PRE-PREPARE, as a peer sends it
      }
    }
    assertThat(commits).extracting(m -> m.getCommit().getSequence()).containsExactly(1L, 2L);
    Statements statements = new Statements(SIM.chain());
    for (ConsensusMessage m : commits) {
      assertThat(statements.verify(1, statements.commit(0, m.getCommit().getSequence(), m.getCommit().getBlockHash()),
          m.getCommit().getSignature())).isTrue();
    }
  }

  /** A backup's PREPARE for {@code pp}'s block, with certify flag {@code certify}. */
  private static ConsensusMessage prepare(PrePrepare pp, boolean certify) {
    return ConsensusMessage.newBuilder().setPrepare(Prepare.newBuilder().setView(pp.getView())
        .setSequence(pp.getSequence()).setBlockHash(Blocks.hash(pp.getBlock()).bytes()).setCertify(certify)).build();
  }

  // ---------------------------------------------------------------- the certify flag is the leader's word

  /**
   * PREPAREs repeat the certify flag: one for the accepted block with the other flag (its sender
   * was told another flag by the leader) does not count, so two honest replicas never prepare one
   * block with different flags and never sign their COMMITs differently.
   */
  @Test
  void aPrepareWithTheOtherCertifyFlagDoesNotCountTowardsPrepared() {
    Replica leader = startedK8(0);
    Replica backup = startedK8(1);
    List<PrePrepare> pps = sent(leader.step(new Input.Receive(1, forward(7, 1, 3))),
        ConsensusMessage.PayloadCase.PRE_PREPARE).stream().map(ConsensusMessage::getPrePrepare).toList();
    assertThat(pps).extracting(PrePrepare::getCertify).containsExactly(true, false, true);
    // Block 2's PREPARE from validator 2 arrives before the PRE-PREPARE, with the other flag: kept, never counted.
    List<Ready> readies = new ArrayList<>();
    readies.add(backup.step(new Input.Receive(2, prepare(pps.get(1), true))));
    for (PrePrepare pp : pps) {
      Ready r = backup.step(new Input.Receive(0, ConsensusMessage.newBuilder().setPrePrepare(pp).build()));
      assertThat(sent(r, ConsensusMessage.PayloadCase.PREPARE)).extracting(m -> m.getPrepare().getCertify())
          .as("the backup's PREPARE carries the flag it accepted").containsExactly(pp.getCertify());
      readies.add(r);
    }
    readies.add(backup.step(new Input.Receive(2, prepare(pps.get(0), false))));
    readies.add(backup.step(new Input.Receive(3, prepare(pps.get(0), false))));
    assertThat(backup.dropCounts()).containsEntry(Drop.CERTIFY_MISMATCH, 2L);
    for (Ready r : readies) {
      assertThat(sent(r, ConsensusMessage.PayloadCase.COMMIT)).as("nothing prepared on mismatched flags").isEmpty();
    }
    // With its own, one matching PREPARE makes the 2f = 2 of block 1; block 2 still has only its own.
    List<ConsensusMessage> commits = sent(backup.step(new Input.Receive(2, prepare(pps.get(0), true))),
        ConsensusMessage.PayloadCase.COMMIT);
    assertThat(commits).extracting(m -> m.getCommit().getSequence()).containsExactly(1L);
    assertThat(commits.get(0).getCommit().getSignature()).as("block 1 is certified: its COMMIT is signed").hasSize(64);
    commits = sent(backup.step(new Input.Receive(3, prepare(pps.get(1), false))), ConsensusMessage.PayloadCase.COMMIT);
    assertThat(commits).extracting(m -> m.getCommit().getSequence()).containsExactly(2L);
    assertThat(commits.get(0).getCommit().getSignature()).as("block 2 is not certified").isEmpty();
  }

  /**
   * The leader's signature covers the certify flag, so a second PRE-PREPARE for the same block
   * that differs only in its flag is equivocation (evidence when both are signed as they claim),
   * not a duplicate; one whose flag was changed after signing is not the leader's statement.
   */
  @Test
  void aProposalDifferingOnlyInItsCertifyFlagIsEquivocation() {
    Replica leader = startedK8(0);
    PrePrepare pp = sent(leader.step(new Input.Receive(1, forward(7, 1, 1))), ConsensusMessage.PayloadCase.PRE_PREPARE)
        .get(0).getPrePrepare();
    assertThat(pp.getCertify()).isTrue();
    Statements statements = new Statements(SIM.chain());
    Hash hash = Blocks.hash(pp.getBlock());
    assertThat(statements.verify(0, statements.proposal(pp, hash), pp.getSignature())).isTrue();
    PrePrepare flipped = pp.toBuilder().setCertify(false).build();
    assertThat(statements.verify(0, statements.proposal(flipped, hash), flipped.getSignature()))
        .as("the signature binds the flag").isFalse();
    PrePrepare resigned = flipped.toBuilder()
        .setSignature(key(0).sign(statements.proposal(0, 1, hash.bytes(), false))).build();

    Replica backup = startedK8(1);
    backup.step(new Input.Receive(0, ConsensusMessage.newBuilder().setPrePrepare(pp).build()));
    Ready same = backup.step(new Input.Receive(0, ConsensusMessage.newBuilder().setPrePrepare(pp).build()));
    assertThat(backup.dropCounts()).containsEntry(Drop.DUPLICATE, 1L);
    Ready unsigned = backup.step(new Input.Receive(0, ConsensusMessage.newBuilder().setPrePrepare(flipped).build()));
    assertThat(unsigned.evidence()).as("a flag the leader did not sign proves nothing").isEmpty();
    Ready signed = backup.step(new Input.Receive(0, ConsensusMessage.newBuilder().setPrePrepare(resigned).build()));
    assertThat(backup.dropCounts()).containsEntry(Drop.EQUIVOCATION, 2L).containsEntry(Drop.DUPLICATE, 1L);
    assertThat(signed.evidence()).hasSize(1);
    Ready.Equivocation e = signed.evidence().get(0);
    assertThat(e.leader()).isZero();
    assertThat(List.of(e.first().getPrePrepare().getCertify(), e.second().getPrePrepare().getCertify()))
        .containsExactly(true, false);
    for (Ready r : List.of(same, unsigned, signed)) {
      assertThat(sent(r, ConsensusMessage.PayloadCase.PREPARE)).as("no second PREPARE").isEmpty();
    }
  }

  /** Delivers every message at once, in send order, to every replica; executes with a hash-chain "state". */
  static final class Bus {
    final Replica[] replicas;
    final List<List<Ready.CommittedBlock>> committed = new ArrayList<>();
    final List<TreeMap<ByteString, ByteString>> logs = new ArrayList<>();
    private final java.util.ArrayDeque<Object[]> queue = new java.util.ArrayDeque<>();

    Bus(int n) {
      this(n, c -> c);
    }

    Bus(int n, java.util.function.UnaryOperator<ReplicaConfig> tune) {
      replicas = new Replica[n];
      for (int i = 0; i < n; i++) {
        replicas[i] = Replica.create(tune.apply(config(i)), GENESIS, ROOT0);
        replicas[i].step(new Input.Tick(NOW));
        committed.add(new ArrayList<>());
        logs.add(new TreeMap<>(ByteString.unsignedLexicographicalComparator()));
        putsByKind.add(new TreeMap<>());
      }
    }

    /** Per replica: puts, deletes and key + value bytes written (one write per Ready, a key once), deletes of absent keys. */
    final long[] puts = new long[8];
    final long[] deletes = new long[8];
    final long[] bytes = new long[8];
    final long[] absentDeletes = new long[8];
    /** Per replica: puts by key prefix (the key without its 8-byte sequence when it has one). */
    final List<TreeMap<String, Long>> putsByKind = new ArrayList<>();

    Ready step(int i, Input in) {
      Ready r = replicas[i].step(in);
      // As the node's driver writes a Ready: one batch, the last change of each key.
      java.util.LinkedHashMap<ByteString, Ready.Persist> batch = new java.util.LinkedHashMap<>();
      for (Ready.Persist p : r.persist()) {
        batch.remove(p.key());
        batch.put(p.key(), p);
      }
      for (Ready.Persist p : batch.values()) {
        if (p.isDelete()) {
          deletes[i]++;
          bytes[i] += p.key().size();
          if (logs.get(i).remove(p.key()) == null) {
            absentDeletes[i]++;
          }
        } else {
          puts[i]++;
          bytes[i] += p.key().size() + p.value().size();
          logs.get(i).put(p.key(), p.value());
          putsByKind.get(i).merge(kind(p.key()), 1L, Long::sum);
        }
      }
      for (Outbound o : r.send()) {
        for (int to = 0; to < replicas.length; to++) {
          if (to != i && (o.to() == Outbound.BROADCAST || o.to() == to)) {
            queue.add(new Object[] {i, to, o.msg()});
          }
        }
      }
      for (Ready.CommittedBlock c : r.commit()) {
        committed.get(i).add(c);
        Hash hash = Blocks.hash(c.block().getBlock());
        Ready e = step(i, new Input.Executed(c.height(), hash, Hash.sha256(hash.bytes())));
        assertThat(e).isNotNull();
      }
      return r;
    }

    private static String kind(ByteString key) {
      for (ByteString prefix : List.of(LogKeys.SLOT_PREFIX, LogKeys.CERTIFY_PREFIX, LogKeys.PREPARED_PREFIX)) {
        if (key.startsWith(prefix)) {
          return prefix.toStringUtf8();
        }
      }
      return key.toStringUtf8();
    }

    void deliverAll(Ready ignored) {
      while (!queue.isEmpty()) {
        Object[] m = queue.poll();
        step((int) m[1], new Input.Receive((int) m[0], (ConsensusMessage) m[2]));
      }
    }
  }
}
