package org.fedledger.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.fedledger.benchmarks.contracts.BlockCommit;
import org.fedledger.benchmarks.contracts.CoordinateWiseAggregation;
import org.fedledger.benchmarks.contracts.MultiKrumAggregation;
import org.fedledger.benchmarks.contracts.UpdateValidation;
import org.fedledger.benchmarks.floors.CryptoFloors;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.store.Durability;
import org.fedledger.proto.ReceiptStatus;
import org.junit.jupiter.api.Test;

/**
 * Calls every benchmark method once, with small parameters and without JMH, so that CI
 * catches a benchmark broken by a change elsewhere. Timings are JMH's business, not this test's.
 */
class BenchmarksSmokeTest {

  @Test
  void multiKrumAggregationProducesAModelOfTheRightLength() {
    MultiKrumAggregation b = new MultiKrumAggregation();
    b.updates = 10;
    b.parameters = 1000;
    b.setup();
    float[] model = b.selectAndAggregate();
    assertThat(model).hasSize(1000);
    assertThat(b.distances().count()).isEqualTo(10);
  }

  @Test
  void coordinateWiseAggregationProducesModelsOfTheRightLength() {
    CoordinateWiseAggregation b = new CoordinateWiseAggregation();
    b.updates = 10;
    b.parameters = 1000;
    b.setup();
    assertThat(b.median()).hasSize(1000);
    assertThat(b.trimmedMean()).hasSize(1000);
  }

  @Test
  void updateValidationAdmitsTheUpdate() {
    UpdateValidation b = new UpdateValidation();
    b.parameters = 1000;
    b.setup();
    assertThat(b.execute().receipts()).singleElement()
        .satisfies(r -> assertThat(r.getStatus()).isEqualTo(ReceiptStatus.SUCCESS));
    assertThat(b.verifyAndExecute().receipts()).singleElement()
        .satisfies(r -> assertThat(r.getStatus()).isEqualTo(ReceiptStatus.SUCCESS));
  }

  @Test
  void blockCommitAdvancesTheHead() throws Exception {
    BlockCommit b = new BlockCommit();
    b.transactions = 3;
    b.durability = Durability.GROUP;
    b.votes = true;
    b.open();
    try {
      for (int i = 0; i < 2; i++) {
        b.prepareNextBlock();
        assertThat(new Finality(b.chain()).check(b.preparedBlock()).ok()).isTrue();
        b.commit();
      }
      assertThat(b.storeHeight()).isEqualTo(2);
    } finally {
      b.close();
    }
  }

  @Test
  void cryptoFloorsSignVerifyAndHash() {
    CryptoFloors b = new CryptoFloors();
    b.setup();
    assertThat(b.ed25519Sign().size()).isEqualTo(64);
    assertThat(b.ed25519Verify()).isTrue();
    CryptoFloors.Payload payload = new CryptoFloors.Payload();
    payload.payloadBytes = 1024;
    payload.setup();
    assertThat(b.sha256(payload).bytes().size()).isEqualTo(32);
  }
}
