package org.fedledger.contracts.fl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.SplittableRandom;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.Metric;
import org.fedledger.proto.ParticipantStatus;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.SubmitUpdate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every refusal reason of SubmitUpdate has its own receipt code, and garbage never crashes. */
class UpdateAdmissionTest {
  static final int D = 8;
  FlChain chain;
  ByteString alice = FlChain.key(1);
  ByteString bob = FlChain.key(2);

  @BeforeEach
  void setUp() {
    chain = new FlChain();
    chain.register(alice, Role.HOSPITAL, 0);
    chain.register(bob, Role.EDGE, 0);
    Receipt r = chain.run(chain.createTask(FlChain.task("t", D, AggregationRule.FEDAVG, 0, 0)
        .setMinUpdates(5).setMaxUpdates(5).setNormBound(10.0).build()));
    assertThat(r.getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
  }

  private Receipt submit(ByteString who, SubmitUpdate u) {
    return chain.run(chain.submit(who, u));
  }

  private static SubmitUpdate.Builder good() {
    return FlChain.update("t", 1, 0, filled(0.5f), 10).toBuilder();
  }

  private static float[] filled(float v) {
    float[] w = new float[D];
    java.util.Arrays.fill(w, v);
    return w;
  }

  private void assertRefused(Receipt r, String code) {
    assertThat(r.getStatus()).as(r.getReason()).isEqualTo(ReceiptStatus.REJECTED);
    assertThat(r.getCode()).as(r.getReason()).isEqualTo(code);
  }

  @Test
  void acceptsAValidUpdateAndRecordsIt() {
    Receipt r = submit(alice, good().build());
    assertThat(r.getStatus()).as(r.getReason()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(r.getEvents(0).getType()).isEqualTo("fl.update.accepted");
    assertThat(FlQueries.currentRound(chain.state, "t").orElseThrow().getSubmissionsList())
        .extracting(s -> s.getParticipant()).containsExactly(alice);
  }

  @Test
  void unknownTask() {
    assertRefused(submit(alice, good().setTaskId("nope").build()), FlCodes.UNKNOWN_TASK);
  }

  @Test
  void unregisteredWrongRoleAndNotListedAreNotPermitted() {
    assertRefused(submit(FlChain.key(99), good().build()), FlCodes.NOT_PERMITTED);
    ByteString auditor = FlChain.key(3);
    chain.register(auditor, Role.AUDITOR, 0);
    assertRefused(submit(auditor, good().build()), FlCodes.NOT_PERMITTED);
    chain.run(chain.createTask(FlChain.task("listed", D, AggregationRule.FEDAVG, 0, 0).addPermitted(alice).build()));
    assertRefused(submit(bob, good().setTaskId("listed").build()), FlCodes.NOT_PERMITTED);
    assertThat(submit(alice, good().setTaskId("listed").build()).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
  }

  @Test
  void suspendedInTheRegistry() {
    chain.setStatus(alice, ParticipantStatus.SUSPENDED);
    assertRefused(submit(alice, good().build()), FlCodes.SUSPENDED);
  }

  @Test
  void wrongRound() {
    assertRefused(submit(alice, good().setRound(2).build()), FlCodes.WRONG_ROUND);
    assertRefused(submit(alice, good().setRound(0).build()), FlCodes.WRONG_ROUND);
  }

  @Test
  void staleOrFutureBase() {
    assertRefused(submit(alice, good().setBaseVersion(1).build()), FlCodes.STALE_BASE);
    assertRefused(submit(alice, good().setBaseVersion(-1L).build()), FlCodes.STALE_BASE);
  }

  @Test
  void wrongLength() {
    assertRefused(submit(alice, good().setWeights(Weights.pack(new float[D - 1])).build()), FlCodes.WRONG_LENGTH);
    assertRefused(submit(alice, good().setWeights(ByteString.copyFrom(new byte[4 * D + 3])).build()),
        FlCodes.WRONG_LENGTH);
    assertRefused(submit(alice, good().setWeights(ByteString.EMPTY).build()), FlCodes.WRONG_LENGTH);
  }

  @Test
  void nonFiniteValues() {
    float[] w = filled(0.1f);
    w[3] = Float.NaN;
    assertRefused(submit(alice, good().setWeights(Weights.pack(w)).build()), FlCodes.NON_FINITE);
    w[3] = Float.NEGATIVE_INFINITY;
    assertRefused(submit(bob, good().setWeights(Weights.pack(w)).build()), FlCodes.NON_FINITE);
    assertRefused(submit(alice, good().addMetrics(Metric.newBuilder().setName("loss").setValue(Double.NaN)).build()),
        FlCodes.NON_FINITE);
  }

  @Test
  void deltaThatOverflowsFloat32IsNonFinite() {
    chain.run(chain.createTask(FlChain.task("big", D, AggregationRule.FEDAVG, 0, 0).setNormBound(0)
        .setInitialWeights(Weights.pack(filled(3e38f))).build()));
    assertRefused(submit(alice, FlChain.update("big", 1, 0, filled(3e38f), 1).toBuilder().setIsDelta(true).build()),
        FlCodes.NON_FINITE);
  }

  @Test
  void normAboveBound() {
    assertRefused(submit(alice, good().setWeights(Weights.pack(filled(3.6f))).build()), FlCodes.NORM_TOO_LARGE);
    assertRefused(submit(alice, good().setWeights(Weights.pack(filled(3e38f))).build()), FlCodes.NORM_TOO_LARGE);
    // A delta is measured as it is: sqrt(8) * 3.5 = 9.9 is within the bound of 10.
    assertThat(submit(alice, good().setWeights(Weights.pack(filled(3.5f))).setIsDelta(true).build()).getStatus())
        .isEqualTo(ReceiptStatus.SUCCESS);
  }

  @Test
  void secondUpdateInARound() {
    assertThat(submit(alice, good().build()).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertRefused(submit(alice, good().setSampleCount(20).build()), FlCodes.DUPLICATE_UPDATE);
  }

  @Test
  void zeroSamples() {
    assertRefused(submit(alice, good().setSampleCount(0).build()), FlCodes.ZERO_SAMPLES);
  }

  @Test
  void oversize() {
    SubmitUpdate.Builder many = good();
    for (int i = 0; i <= UpdateAdmission.MAX_METRICS; i++) {
      many.addMetrics(Metric.newBuilder().setName("m" + i).setValue(i));
    }
    assertRefused(submit(alice, many.build()), FlCodes.OVERSIZE);
    assertRefused(submit(alice, good().addMetrics(Metric.newBuilder().setName("x".repeat(65))).build()),
        FlCodes.OVERSIZE);
    // Weights beyond the largest model any task may have (64 MiB), whatever the task's length:
    // refused by size before they are unpacked. (One 1 MiB chunk repeated, so the test stays light.)
    ByteString chunk = ByteString.copyFrom(new byte[1 << 20]);
    ByteString huge = ByteString.EMPTY;
    while (huge.size() <= 4 * TaskRules.MAX_PARAMETERS) {
      huge = huge.concat(chunk);
    }
    assertRefused(submit(alice, good().setWeights(huge).build()), FlCodes.OVERSIZE);
  }

  @Test
  void roundFullAtMaxUpdates() {
    for (int i = 0; i < 5; i++) {
      ByteString p = FlChain.key(100 + i);
      chain.register(p, Role.DEVICE, 0);
      // All in one block: the round closes at its end, after max_updates were admitted.
      if (i < 4) {
        assertThat(submit(p, good().build()).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
      }
    }
    ByteString sixth = FlChain.key(200);
    chain.register(sixth, Role.DEVICE, 0);
    var result = chain.block(chain.submit(FlChain.key(104), good().build()), chain.submit(sixth, good().build()));
    assertThat(result.receipts().get(0).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertRefused(result.receipts().get(1), FlCodes.ROUND_FULL);
  }

  @Test
  void garbageNeverCrashesTheContract() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int i = 0; i < 5; i++) {
      chain.register(FlChain.key(1000 + i), Role.DEVICE, 0);
    }
    for (int i = 0; i < 300; i++) {
      byte[] junk = new byte[rnd.nextInt(4 * D + 8)];
      if (rnd.nextInt(3) == 0) {
        junk = new byte[4 * D];
      }
      rnd.nextBytes(junk);
      SubmitUpdate u = good().setWeights(ByteString.copyFrom(junk)).setIsDelta(rnd.nextBoolean())
          .setBaseVersion(rnd.nextInt(3)).setRound(rnd.nextInt(3)).setSampleCount(rnd.nextLong()).build();
      Receipt r = submit(FlChain.key(1000 + i % 5), u);
      assertThat(r.getCode()).isNotEqualTo("CONTRACT_ERROR");
      if (r.getStatus() == ReceiptStatus.REJECTED) {
        assertThat(r.getCode()).isIn(FlCodes.NOT_PERMITTED, FlCodes.WRONG_ROUND, FlCodes.STALE_BASE,
            FlCodes.WRONG_LENGTH, FlCodes.NON_FINITE, FlCodes.NORM_TOO_LARGE, FlCodes.ZERO_SAMPLES, FlCodes.DUPLICATE_UPDATE);
      }
    }
  }
}
