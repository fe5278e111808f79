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
}
