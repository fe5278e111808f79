package org.fedledger.contracts.fl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.Contributor;
import org.fedledger.proto.Event;
import org.fedledger.proto.GlobalModel;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.RoundState;
import org.fedledger.proto.RoundStatus;
import org.fedledger.proto.ShortfallPolicy;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateOutcome;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rounds close inside the block that makes them due: on quorum, on deadline, by an ADMIN. */
class RoundCloseTest {
  static final int D = 4;
  FlChain chain;
  List<ByteString> people = new ArrayList<>();

  @BeforeEach
  void setUp() {
    chain = new FlChain();
    for (int i = 0; i < 12; i++) {
      ByteString p = FlChain.key(10 + i);
      chain.register(p, Role.HOSPITAL, 0);
      people.add(p);
    }
  }

  private void create(org.fedledger.proto.CreateTask.Builder t) {
    Receipt r = chain.run(chain.createTask(t.build()));
    assertThat(r.getStatus()).as(r.getReason()).isEqualTo(ReceiptStatus.SUCCESS);
  }

  private Transaction submit(int who, String task, long round, float value, long samples) {
    float[] w = new float[D];
    java.util.Arrays.fill(w, value);
    return chain.submit(people.get(who), FlChain.update(task, round, round - 1, w, samples));
  }

  @Test
  void quorumClosesTheRoundInTheSameBlock() {
    create(FlChain.task("t", D, AggregationRule.MULTI_KRUM, 1, 3).setMinUpdates(5));
    chain.block(submit(0, "t", 1, 1f, 10), submit(1, "t", 1, 1.1f, 10));
    assertThat(FlQueries.round(chain.state, "t", 1).orElseThrow().getStatus()).isEqualTo(RoundStatus.ROUND_OPEN);
    chain.block(submit(2, "t", 1, 0.9f, 10), submit(3, "t", 1, 1.05f, 10), submit(4, "t", 1, 50f, 10));
    List<Event> closed = chain.endEvents("fl.round.closed");
    assertThat(closed).hasSize(1);
    assertThat(FlChain.attr(closed.get(0), "reason")).isEqualTo("QUORUM");
    assertThat(FlChain.attr(closed.get(0), "rule")).isEqualTo("MULTI_KRUM");

    RoundState round = FlQueries.round(chain.state, "t", 1).orElseThrow();
    assertThat(round.getStatus()).isEqualTo(RoundStatus.ROUND_CLOSED);
    assertThat(round.getClosedHeight()).isEqualTo(chain.height);
    assertThat(round.getProducedVersion()).isEqualTo(1);
    assertThat(round.getSubmissions(4).getOutcome()).isEqualTo(UpdateOutcome.FILTERED);

    GlobalModel model = FlQueries.model(chain.state, "t", 1).orElseThrow();
    assertThat(model.getSha256()).isEqualTo(Hash.sha256(model.getWeights()).bytes());
    assertThat(model.getHeight()).isEqualTo(chain.height);
    assertThat(model.getContributorsList()).extracting(Contributor::getParticipant)
        .containsExactlyInAnyOrder(people.get(0), people.get(1), people.get(3));
    assertThat(Weights.unpack(model.getWeights())[0]).isBetween(1.0f, 1.1f);
    assertThat(model.getContributorsList().stream().mapToDouble(Contributor::getWeight).sum()).isCloseTo(1.0,
        org.assertj.core.data.Offset.offset(1e-12));
    // The next round is open on version 1; its stored updates of round 1 are gone.
    assertThat(FlQueries.task(chain.state, "t").orElseThrow().getCurrentRound()).isEqualTo(2);
    assertThat(chain.state.scan(ByteString.copyFromUtf8("fl/update/"))).isEmpty();
    assertThat(chain.run(submit(0, "t", 1, 1f, 10)).getCode()).isEqualTo(FlCodes.WRONG_ROUND);
    assertThat(chain.run(chain.submit(people.get(0), FlChain.update("t", 2, 0, new float[D], 1))).getCode())
        .isEqualTo(FlCodes.STALE_BASE);
    assertThat(chain.run(submit(0, "t", 2, 1f, 10)).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
  }

  @Test
  void deadlineClosesARoundThatHasEnoughForTheRule() {
    create(FlChain.task("t", D, AggregationRule.KRUM, 1, 1).setMinUpdates(8).setRoundDeadlineBlocks(5));
    long deadline = FlQueries.currentRound(chain.state, "t").orElseThrow().getDeadlineHeight();
    chain.block(submit(0, "t", 1, 1f, 1), submit(1, "t", 1, 2.5f, 1), submit(2, "t", 1, 3f, 1),
        submit(3, "t", 1, 3.5f, 1), submit(4, "t", 1, 100f, 1));
    chain.advanceTo(deadline - 1);
    assertThat(FlQueries.round(chain.state, "t", 1).orElseThrow().getStatus()).isEqualTo(RoundStatus.ROUND_OPEN);
    chain.block();
    assertThat(chain.endEvents("fl.round.closed")).singleElement()
        .satisfies(e -> assertThat(FlChain.attr(e, "reason")).isEqualTo("DEADLINE"));
    GlobalModel model = FlQueries.latestModel(chain.state, "t").orElseThrow();
    // Krum keeps exactly one update, the most central one (value 3: its 2 nearest are 2.5 and 3.5).
    assertThat(model.getContributorsList()).singleElement()
        .satisfies(c -> assertThat(c.getParticipant()).isEqualTo(people.get(2)));
    assertThat(Weights.unpack(model.getWeights())).containsOnly(3f);
  }

  @Test
  void shortfallWaitKeepsTheRoundOpenUntilEnoughArrive() {
    create(FlChain.task("t", D, AggregationRule.KRUM, 1, 1).setMinUpdates(6).setRoundDeadlineBlocks(3)
        .setShortfall(ShortfallPolicy.WAIT));
    chain.block(submit(0, "t", 1, 1f, 1), submit(1, "t", 1, 1f, 1));
    chain.block();
    chain.block();
    assertThat(chain.endEvents("fl.round.shortfall")).singleElement()
        .satisfies(e -> assertThat(FlChain.attr(e, "policy")).isEqualTo("WAIT"));
    chain.block();
    assertThat(chain.endEvents("fl.round.shortfall")).isEmpty(); // reported once
    RoundState waiting = FlQueries.round(chain.state, "t", 1).orElseThrow();
    assertThat(waiting.getStatus()).isEqualTo(RoundStatus.ROUND_OPEN);
    assertThat(waiting.getShortfall()).isTrue();
    assertThat(waiting.getShortfallPolicy()).isEqualTo(ShortfallPolicy.WAIT);
    chain.block(submit(2, "t", 1, 1f, 1), submit(3, "t", 1, 1f, 1));
    assertThat(chain.endEvents("fl.round.closed")).isEmpty();
    chain.block(submit(4, "t", 1, 1f, 1));
    assertThat(chain.endEvents("fl.round.closed")).singleElement()
        .satisfies(e -> assertThat(FlChain.attr(e, "rule")).isEqualTo("KRUM"));
  }

  @Test
  void shortfallFallbackAggregatesWithTheMedian() {
    create(FlChain.task("t", D, AggregationRule.MULTI_KRUM, 2, 3).setMinUpdates(8).setRoundDeadlineBlocks(3)
        .setShortfall(ShortfallPolicy.FALLBACK_MEDIAN));
    chain.block(submit(0, "t", 1, 1f, 1), submit(1, "t", 1, 2f, 1), submit(2, "t", 1, 90f, 1));
    chain.advanceTo(FlQueries.currentRound(chain.state, "t").orElseThrow().getDeadlineHeight());
    assertThat(chain.endEvents("fl.round.shortfall")).singleElement()
        .satisfies(e -> assertThat(FlChain.attr(e, "policy")).isEqualTo("FALLBACK_MEDIAN"));
    Event closed = chain.endEvents("fl.round.closed").get(0);
    assertThat(FlChain.attr(closed, "rule")).isEqualTo("MEDIAN");
    assertThat(FlChain.attr(closed, "shortfall")).isEqualTo("FALLBACK_MEDIAN");
    RoundState round = FlQueries.round(chain.state, "t", 1).orElseThrow();
    assertThat(round.getAppliedRule()).isEqualTo(AggregationRule.MEDIAN);
    assertThat(round.getShortfallPolicy()).isEqualTo(ShortfallPolicy.FALLBACK_MEDIAN);
    assertThat(Weights.unpack(FlQueries.latestModel(chain.state, "t").orElseThrow().getWeights())).containsOnly(2f);
  }

  @Test
  void fallbackWithNoUpdatesExtendsTheDeadline() {
    create(FlChain.task("t", D, AggregationRule.MEDIAN, 1, 0).setRoundDeadlineBlocks(3)
        .setShortfall(ShortfallPolicy.FALLBACK_MEDIAN));
    long deadline = FlQueries.currentRound(chain.state, "t").orElseThrow().getDeadlineHeight();
    chain.advanceTo(deadline);
    assertThat(chain.endEvents("fl.round.extended")).hasSize(1);
    assertThat(FlQueries.currentRound(chain.state, "t").orElseThrow().getDeadlineHeight()).isEqualTo(deadline + 3);
  }

  @Test
  void adminCloseRound() {
    create(FlChain.task("t", D, AggregationRule.FEDAVG, 0, 0).setMinUpdates(10));
    chain.block(submit(0, "t", 1, 1f, 1), submit(1, "t", 1, 3f, 3));
    assertThat(chain.run(chain.tx(people.get(0), Transaction.newBuilder().setCloseRound(
        org.fedledger.proto.CloseRound.newBuilder().setTaskId("t").setRound(1)))).getCode())
        .isEqualTo(FlCodes.NOT_ADMIN);
    assertThat(chain.run(chain.close("t", 2)).getCode()).isEqualTo(FlCodes.WRONG_ROUND);
    Receipt r = chain.run(chain.close("t", 1));
    assertThat(r.getStatus()).as(r.getReason()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(r.getEventsList()).extracting(Event::getType).contains("fl.round.closed");
    // FedAvg weighted by capped samples: claims 1 and 3, the cap is twice the lower median
    // claim (2), so the weights are 1 and 2: (1*1 + 2*3) / 3.
    assertThat(Weights.unpack(FlQueries.model(chain.state, "t", 1).orElseThrow().getWeights()))
        .containsOnly((float) (7.0 / 3.0));
  }

  @Test
  void aDeltaIsAppliedToItsBaseModel() {
    create(FlChain.task("t", D, AggregationRule.FEDAVG, 0, 0).setMinUpdates(1)
        .setInitialWeights(Weights.pack(new float[] {1f, 2f, 3f, 4f})));
    chain.block(chain.submit(people.get(0), FlChain.update("t", 1, 0, new float[] {0.5f, -0.5f, 0f, 1f}, 7)
        .toBuilder().setIsDelta(true).build()));
    assertThat(Weights.unpack(FlQueries.model(chain.state, "t", 1).orElseThrow().getWeights()))
        .containsExactly(1.5f, 1.5f, 3f, 5f);
  }

  @Test
  void adminCloseWithTooFewUpdatesUnderWaitIsRefused() {
    create(FlChain.task("t", D, AggregationRule.KRUM, 1, 1));
    chain.block(submit(0, "t", 1, 1f, 1));
    assertThat(chain.run(chain.close("t", 1)).getCode()).isEqualTo(FlCodes.INSUFFICIENT_UPDATES);
  }

  @Test
  void sampleClaimsAreCappedByRegistryAndByTheMedianClaim() {
    ByteString capped = FlChain.key(500);
    chain.register(capped, Role.DEVICE, 2);
    create(FlChain.task("t", D, AggregationRule.FEDAVG, 0, 0).setMinUpdates(4));
    float[] ones = {1f, 1f, 1f, 1f};
    float[] nines = {9f, 9f, 9f, 9f};
    chain.block(submit(0, "t", 1, 0f, 10), submit(1, "t", 1, 0f, 10), submit(2, "t", 1, 0f, 10),
        chain.submit(capped, FlChain.update("t", 1, 0, nines, 1_000_000)));
    // capped claims 1e6, registry caps it at 2: weights 10,10,10,2 -> 9*2/32.
    assertThat(Weights.unpack(FlQueries.model(chain.state, "t", 1).orElseThrow().getWeights()))
        .containsOnly((float) (18.0 / 32.0));
    chain.block(submit(0, "t", 2, 0f, 10), submit(1, "t", 2, 0f, 10), submit(2, "t", 2, 0f, 10),
        submit(3, "t", 2, 1f, Long.MAX_VALUE));
    // The median claim is 10, so the huge claim weighs at most 20: 20 / 50.
    assertThat(Weights.unpack(FlQueries.model(chain.state, "t", 2).orElseThrow().getWeights()))
        .containsOnly((float) (20.0 / 50.0));
    assertThat(ones).hasSize(D);
  }
}
