package org.fedledger.contracts.fl;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.fedledger.contracts.fl.aggregation.Aggregators;
import org.fedledger.contracts.fl.aggregation.SelectionFilters;
import org.fedledger.contracts.fl.aggregation.MultiKrum;
import org.fedledger.contracts.fl.aggregation.PairwiseDistances;
import org.fedledger.contracts.fl.aggregation.Ranking;
import org.fedledger.contracts.fl.aggregation.Selection;
import org.fedledger.contracts.fl.reputation.BetaReputation;
import org.fedledger.contracts.fl.reputation.Outcome;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.SampleWeighting;
import org.fedledger.proto.SelectionChecks;

/**
 * The arithmetic of one round close, free of state: given the round's updates in participant
 * order, apply the rule, weigh the kept updates, aggregate, and classify every update for
 * reputation. Index i everywhere is the i-th participant by public key, which is also the
 * tie key, so ties go to the smaller public key.
 */
final class RoundAggregation {
  private RoundAggregation() {}

  /**
   * What a round produced. {@code order} lists the contributing indices in aggregation order;
   * {@code weights} is indexed like the inputs (0 for non-contributors) and sums to 1 over
   * the contributors.
   */
  record Result(AggregationRule applied, float[] model, double[] scores, Outcome[] outcomes,
      int[] order, double[] weights, double[] penalties) {}

  /**
   * Aggregates {@code vectors} under {@code rule} (the task's rule, or MEDIAN on a shortfall
   * fallback). {@code claims} are the claimed sample counts (unsigned), {@code maxSamples}
   * the registry caps (0 = none), {@code base} the model the round trained from (needed only
   * when the task has {@code checks}).
   */
  static Result run(CreateTask spec, AggregationRule rule, float[][] vectors, long[] claims, long[] maxSamples,
      float[] base) {
    int n = vectors.length;
    BetaReputation rep = TaskRules.reputation(spec);
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      keys[i] = i;
    }
    switch (rule) {
      case KRUM:
      case MULTI_KRUM:
        return krum(spec, rule, vectors, claims, maxSamples, base, keys, rep);
      case FEDAVG: {
        int[] all = identity(n);
        double[] w = sampleWeights(spec, all, claims, maxSamples, n);
        float[] model = Aggregators.weightedMean(vectors, all, w);
        double[] scores = Aggregators.squaredDistancesTo(model, vectors, all);
        Outcome[] outcomes = new Outcome[n];
        Arrays.fill(outcomes, Outcome.SELECTED);
        return new Result(rule, model, scores, outcomes, all, normalise(w, all), new double[n]);
      }
      case MEDIAN:
      case TRIMMED_MEAN: {
        int[] all = identity(n);
        float[] model = rule == AggregationRule.MEDIAN
            ? Aggregators.median(vectors, all)
            : Aggregators.trimmedMean(vectors, all, TaskRules.trimCount(spec, n));
        double[] scores = Aggregators.squaredDistancesTo(model, vectors, all);
        double[] w = new double[n];
        Arrays.fill(w, 1.0);
        Outcome[] outcomes = closeness(rep, scores);
        return new Result(rule, model, scores, outcomes, all, normalise(w, all),
            penalties(rep, scores, outcomes, new boolean[n]));
      }
      default:
        throw new IllegalStateException("no aggregation for rule " + rule);
    }
  }

  /**
   * Krum / Multi-Krum with the task's optional {@code checks}. Scores (for the record and the
   * reject margin) are over all updates. Copies ({@code checks.max_similarity}) are FILTERED
   * and the selection runs over the others, each copy counting as one of the f Byzantine
   * updates (at least the rule minimum must remain, else copies stay in). The direction
   * check then leaves out kept updates that point against the median delta (NOT_SELECTED),
   * unless that would leave none.
   */
  private static Result krum(CreateTask spec, AggregationRule rule, float[][] vectors, long[] claims,
      long[] maxSamples, float[] base, long[] keys, BetaReputation rep) {
    int n = vectors.length;
    int f = spec.getByzantineF();
    PairwiseDistances dist = PairwiseDistances.of(vectors);
    double[] scores = MultiKrum.select(dist, keys, f, 1).scores();
    SelectionChecks checks = spec.getChecks();
    boolean[] copy = spec.hasChecks() && checks.getMaxSimilarity() > 0.0
        ? SelectionFilters.copies(dist, SelectionFilters.deltaSquaredNorms(vectors, base), checks.getMaxSimilarity())
        : new boolean[n];
    int[] members = IntStream.range(0, n).filter(i -> !copy[i]).toArray();
    int fLeft = Math.max(0, f - (n - members.length));
    if (members.length < TaskRules.ruleMinimum(rule, fLeft)) {
      members = identity(n);
      fLeft = f;
      Arrays.fill(copy, false);
    }
    CreateTask subsetRules = spec.toBuilder().setByzantineF(fLeft).build();
    Selection sel = MultiKrum.select(dist.subset(members), Arrays.stream(members).mapToLong(i -> keys[i]).toArray(),
        fLeft, TaskRules.effectiveM(subsetRules, members.length));
    int[] picked = sel.kept();
    int[] kept = new int[picked.length];
    for (int r = 0; r < picked.length; r++) {
      kept[r] = members[picked[r]];
    }
    // Outcomes follow the Krum selection; the direction check only moves kept updates to the
    // neutral NOT_SELECTED: at a fixed point of the average an honest minority points
    // against the majority, so a direction is never evidence against a participant.
    Outcome[] outcomes = rep.classify(scores, flags(kept, n));
    if (spec.hasChecks() && checks.getDirection()) {
      double[] cos = SelectionFilters.directionCosines(vectors, base);
      int[] aligned = Arrays.stream(kept).filter(i -> cos[i] >= 0.0).toArray();
      if (aligned.length > 0) {
        for (int i : kept) {
          if (cos[i] < 0.0) {
            outcomes[i] = Outcome.NOT_SELECTED;
          }
        }
        kept = aligned;
      }
    }
    for (int i = 0; i < n; i++) {
      if (copy[i]) {
        outcomes[i] = Outcome.FILTERED;
      }
    }
    double[] w = sampleWeights(spec, kept, claims, maxSamples, n);
    float[] model = Aggregators.weightedMean(vectors, kept, w);
    return new Result(rule, model, scores, outcomes, kept, normalise(w, kept), penalties(rep, scores, outcomes, copy));
  }

  /** Beta increments: the margin-relative penalty for FILTERED updates, the maximum for copies. */
  private static double[] penalties(BetaReputation rep, double[] scores, Outcome[] outcomes, boolean[] copy) {
    double median = Ranking.lowerMedian(scores);
    double[] p = new double[scores.length];
    for (int i = 0; i < scores.length; i++) {
      if (outcomes[i] == Outcome.FILTERED) {
        p[i] = copy[i] ? rep.maxPenalty() : rep.penalty(scores[i], median);
      }
    }
    return p;
  }

  /**
   * Median and trimmed mean use every update; reputation counts an update as SELECTED when it
   * lies within the reject margin of the median distance to the aggregate, FILTERED beyond.
   */
  private static Outcome[] closeness(BetaReputation rep, double[] scores) {
    double bar = rep.rejectMargin() * Ranking.lowerMedian(scores);
    Outcome[] out = new Outcome[scores.length];
    for (int i = 0; i < scores.length; i++) {
      out[i] = scores[i] > bar ? Outcome.FILTERED : Outcome.SELECTED;
    }
    return out;
  }

  /**
   * Weights of the kept updates. UNIFORM: 1 each. CAPPED_SAMPLES (default): the claim, capped
   * by the participant's registry max_samples (if set) and by twice the lower median of the
   * kept updates' (registry-capped) claims, so that no claim can outweigh the typical one
   * more than twofold.
   */
  static double[] sampleWeights(CreateTask spec, int[] kept, long[] claims, long[] maxSamples, int n) {
    double[] w = new double[n];
    if (spec.getSampleWeighting() == SampleWeighting.UNIFORM) {
      for (int i : kept) {
        w[i] = 1.0;
      }
      return w;
    }
    double[] capped = new double[kept.length];
    for (int r = 0; r < kept.length; r++) {
      int i = kept[r];
      double claim = unsigned(claims[i]);
      if (maxSamples[i] != 0) {
        claim = Math.min(claim, unsigned(maxSamples[i]));
      }
      capped[r] = claim;
    }
    double relativeCap = 2.0 * Ranking.lowerMedian(capped);
    for (int r = 0; r < kept.length; r++) {
      w[kept[r]] = Math.min(capped[r], relativeCap);
    }
    return w;
  }

  private static double unsigned(long v) {
    return v >= 0 ? (double) v : (double) (v >>> 1) * 2.0;
  }

  private static double[] normalise(double[] w, int[] members) {
    double total = 0.0;
    for (int i : members) {
      total += w[i];
    }
    double[] out = new double[w.length];
    for (int i : members) {
      out[i] = w[i] / total;
    }
    return out;
  }

  private static boolean[] flags(int[] kept, int n) {
    boolean[] f = new boolean[n];
    for (int i : kept) {
      f[i] = true;
    }
    return f;
  }

  private static int[] identity(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
  }
}
