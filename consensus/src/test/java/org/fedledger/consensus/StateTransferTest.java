package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fedledger.consensus.ReplicaTest.Bus;
import org.fedledger.proto.BlockResponse;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.ConsensusMessage;
import org.junit.jupiter.api.Test;

/** A replica verifies what peers send it during state transfer. */
class StateTransferTest {

  private static List<CertifiedBlock> twoCertifiedBlocks() {
    Bus bus = new Bus(4);
    bus.deliverAll(bus.step(1, new Input.Request(ReplicaTest.SIM.tx(6, 1))));
    bus.deliverAll(bus.step(1, new Input.Request(ReplicaTest.SIM.tx(6, 2))));
    return bus.committed.get(0).stream().map(Ready.CommittedBlock::block).toList();
  }

  private static Ready receive(Replica r, List<CertifiedBlock> blocks) {
    return r.step(new Input.Receive(2, ConsensusMessage.newBuilder().setBlockResponse(
        BlockResponse.newBuilder().addAllBlocks(blocks).setHeadHeight(blocks.size())).build()));
  }

  @Test
  void certifiedBlocksAreCommittedInOrder() {
    List<CertifiedBlock> blocks = twoCertifiedBlocks();
    Replica fresh = ReplicaTest.replica(3);
    Ready r = receive(fresh, blocks);
    assertThat(r.commit()).extracting(Ready.CommittedBlock::height).containsExactly(1L, 2L);
    assertThat(fresh.transferredBlocks()).isEqualTo(2);
  }

  @Test
  void transactionsSwappedUnderACertifiedHeaderAreRefused() {
    List<CertifiedBlock> blocks = twoCertifiedBlocks();
    CertifiedBlock b1 = blocks.get(0);
    CertifiedBlock tampered = b1.toBuilder().setBlock(b1.getBlock().toBuilder().setTransactions(0,
        ReplicaTest.SIM.tx(7, 1).envelope())).build(); // header (and so the hash chain) unchanged
    Replica fresh = ReplicaTest.replica(3);
    Ready r = receive(fresh, List.of(tampered, blocks.get(1)));
    assertThat(r.commit()).isEmpty();
    assertThat(fresh.dropCounts()).containsKey(Drop.INVALID_TRANSFER);
  }

  @Test
  void blocksWithoutAValidCertificateAreRefused() {
    List<CertifiedBlock> blocks = twoCertifiedBlocks();
    CertifiedBlock forged = blocks.get(1).toBuilder().setCertificate(blocks.get(1).getCertificate().toBuilder()
        .clearSignatures().addAllSignatures(blocks.get(0).getCertificate().getSignaturesList())).build();
    CertifiedBlock unsigned = blocks.get(0).toBuilder().clearCertificate().build();
    Replica fresh = ReplicaTest.replica(3);
    Ready r = receive(fresh, List.of(unsigned, forged));
    assertThat(r.commit()).isEmpty();
  }

  /** Blocks 1..3 of a burst of three under K = 8: 1 (first of the view) and 3 (end of burst) certified, 2 not. */
  private static List<CertifiedBlock> burstOfThree(java.util.function.UnaryOperator<ReplicaConfig> tune) {
    return burstOfThree(tune, 5);
  }

  private static List<CertifiedBlock> burstOfThree(java.util.function.UnaryOperator<ReplicaConfig> tune, int client) {
    Bus bus = new Bus(4, tune);
    bus.deliverAll(bus.step(0, new Input.Receive(1, ReplicaTest.forward(client, 1, 3))));
    return bus.committed.get(0).stream().map(Ready.CommittedBlock::block).toList();
  }

  private static Ready receive(Replica r, int from, List<CertifiedBlock> blocks) {
    return r.step(new Input.Receive(from, ConsensusMessage.newBuilder().setBlockResponse(
        BlockResponse.newBuilder().addAllBlocks(blocks).setHeadHeight(blocks.size())).build()));
  }

  private static Replica fresh(java.util.function.UnaryOperator<ReplicaConfig> tune) {
    Replica r = Replica.create(tune.apply(ReplicaTest.config(3)), ReplicaTest.GENESIS, ReplicaTest.ROOT0);
    r.step(new Input.Tick(ReplicaTest.NOW));
    return r;
  }

  @Test
  void aBlockWithoutSignaturesBelowACertifiedOneIsCommittedAsItIs() {
    List<CertifiedBlock> blocks = burstOfThree(ReplicaTest::configK8);
    assertThat(blocks.get(1).getCertificate().getSignaturesCount()).isZero();
    Replica r = fresh(ReplicaTest::configK8);
    Ready ready = receive(r, 2, blocks);
    assertThat(ready.commit()).extracting(Ready.CommittedBlock::height).containsExactly(1L, 2L, 3L);
    assertThat(ready.commit().get(1).block().getCertificate()).isEqualTo(blocks.get(1).getCertificate());
  }

  @Test
  void anUncertifiedTailIsCommittedOnceFPlusOnePeersServeIt() {
    List<CertifiedBlock> blocks = burstOfThree(ReplicaTest::configK8);
    Replica r = fresh(ReplicaTest::configK8);
    assertThat(receive(r, 2, blocks.subList(0, 2)).commit()).as("block 1 anchors itself, block 2 is above it")
        .extracting(Ready.CommittedBlock::height).containsExactly(1L);
    assertThat(receive(r, 2, blocks.subList(1, 2)).commit()).as("one peer may lie").isEmpty();
    assertThat(receive(r, 2, blocks.subList(1, 2)).commit()).as("the same peer twice is still one").isEmpty();
    assertThat(receive(r, 1, blocks.subList(1, 2)).commit()).as("f+1 = 2 peers served the same block")
        .extracting(Ready.CommittedBlock::height).containsExactly(2L);
  }

  @Test
  void anUncertifiedTailServedDifferentlyIsNotCommitted() {
    List<CertifiedBlock> blocks = burstOfThree(ReplicaTest::configK8);
    List<CertifiedBlock> other = burstOfThree(ReplicaTest::configK8, 6); // another chain: a lying peer's
    assertThat(other.get(1).getCertificate().getSignaturesCount()).isZero();
    Replica r = fresh(ReplicaTest::configK8);
    receive(r, 2, blocks.subList(0, 1));
    assertThat(receive(r, 2, blocks.subList(1, 2)).commit()).isEmpty();
    assertThat(receive(r, 1, other.subList(1, 2)).commit()).isEmpty();
  }

  @Test
  void aBlockAtAMultipleOfKServedWithoutSignaturesIsRefused() {
    List<CertifiedBlock> blocks = burstOfThree(c -> c.withPipeline(2, 8)); // block 2 is a multiple of K = 2
    assertThat(blocks).allMatch(b -> b.getCertificate().getSignaturesCount() > 0);
    CertifiedBlock stripped = blocks.get(1).toBuilder().setCertificate(blocks.get(1).getCertificate().toBuilder()
        .clearSignatures()).build();
    Replica r = fresh(c -> c.withPipeline(2, 8));
    Ready ready = receive(r, 2, List.of(blocks.get(0), stripped, blocks.get(2)));
    assertThat(ready.commit()).isEmpty();
    assertThat(r.dropCounts()).containsKey(Drop.INVALID_TRANSFER);
  }

  @Test
  void junkSignaturesBelowTheAnchorAreRefusedSoEveryKeptCertificateVerifies() {
    List<CertifiedBlock> blocks = burstOfThree(ReplicaTest::configK8);
    CertifiedBlock junk = blocks.get(0).toBuilder().setCertificate(blocks.get(0).getCertificate().toBuilder()
        .setSignatures(0, blocks.get(0).getCertificate().getSignatures(0).toBuilder()
            .setSignature(com.google.protobuf.ByteString.copyFrom(new byte[64])))).build();
    Replica r = fresh(ReplicaTest::configK8);
    assertThat(receive(r, 2, List.of(junk, blocks.get(1), blocks.get(2))).commit()).isEmpty();
    assertThat(r.dropCounts()).containsKey(Drop.INVALID_TRANSFER);
    assertThat(receive(r, 1, blocks).commit()).hasSize(3);
  }

  @Test
  void aServedFinalityProofIsNotHandedOnForStorage() {
    List<CertifiedBlock> blocks = burstOfThree(ReplicaTest::configK8);
    CertifiedBlock withProof = blocks.get(1).toBuilder().setProof(org.fedledger.proto.FinalityProof.newBuilder()
        .addHeaders(blocks.get(2).getBlock().getHeader()).setCertificate(blocks.get(2).getCertificate())).build();
    Ready ready = receive(fresh(ReplicaTest::configK8), 2, List.of(blocks.get(0), withProof, blocks.get(2)));
    assertThat(ready.commit()).hasSize(3);
    assertThat(ready.commit().get(1).block()).isEqualTo(blocks.get(1));
  }
}
