package org.fedledger.contracts.fl.reputation;

/**
 * Beta reputation with forgetting (Jøsang and Ismail, "The Beta Reputation System", 2002):
 * alpha counts good outcomes, beta bad ones, both decayed by {@code decay} each round the
 * participant takes part in, and the score is the mean of Beta(alpha + a0, beta + b0), which
 * lies strictly inside (0, 1) for positive priors a0, b0.
 *
 * <p>The outcome rule is what keeps honest clients safe: only {@link Outcome#FILTERED}
 * (rejected by a clear margin) adds to beta; {@link Outcome#NOT_SELECTED} (an honest update
 * Multi-Krum left out because m < n - f) adds nothing. So a participant that is never
 * filtered has alpha >= 0 and beta = 0 and its score never drops below a0 / (a0 + b0)
 * (0.5 with the default priors), above any sensible threshold. A participant filtered every
 * round has alpha = 0 and beta = 1 + decay + decay^2 + ..., so its score falls to
 * a0 / (a0 + b0 + beta): 0.33, 0.26, 0.21, 0.18, 0.16 after rounds 1..5 with the defaults.
 *
 * <p>All arithmetic is plain double multiplication and addition in a fixed order: the same
 * bits on every JVM.
 *
 * @param priorAlpha a0 > 0
 * @param priorBeta b0 > 0
 * @param decay forgetting factor in (0, 1]
 * @param suspendThreshold suspend when the score falls below this (0 disables suspension)
 * @param minRounds rounds taken part in before a participant can be suspended
 * @param rejectMargin a left-out update is FILTERED when its score exceeds this multiple of
 *     the round's median score (>= 1)
 * @param maxPenalty most that one FILTERED outcome adds to beta (>= 1): the evidence of a
 *     filtered update is its score over the reject bar, between 1 and this
 */
public record BetaReputation(
    double priorAlpha,
    double priorBeta,
    double decay,
    double suspendThreshold,
    int minRounds,
    double rejectMargin,
    double maxPenalty) {

  /** Default prior alpha and beta. */
  public static final double DEFAULT_PRIOR = 1.0;
  /** Default decay per round. */
  public static final double DEFAULT_DECAY = 0.9;
  /** Default reject margin. */
  public static final double DEFAULT_REJECT_MARGIN = 4.0;
  /** Default maximum penalty: every filtered update counts once. */
  public static final double DEFAULT_MAX_PENALTY = 1.0;

  /** A reputation in which every FILTERED outcome adds exactly 1 to beta. */
  public BetaReputation(double priorAlpha, double priorBeta, double decay, double suspendThreshold, int minRounds,
      double rejectMargin) {
    this(priorAlpha, priorBeta, decay, suspendThreshold, minRounds, rejectMargin, DEFAULT_MAX_PENALTY);
  }

  /** Checks the ranges documented on the components. */
  public BetaReputation {
    if (!(priorAlpha > 0.0) || !(priorBeta > 0.0) || Double.isInfinite(priorAlpha)
        || Double.isInfinite(priorBeta)) {
      throw new IllegalArgumentException("priors must be positive and finite");
    }
    if (!(decay > 0.0 && decay <= 1.0)) {
      throw new IllegalArgumentException("decay must be in (0, 1]");
    }
    if (!(suspendThreshold >= 0.0 && suspendThreshold < 1.0)) {
      throw new IllegalArgumentException("suspend threshold must be in [0, 1)");
    }
    if (minRounds < 0) {
      throw new IllegalArgumentException("min rounds must be >= 0");
    }
    if (!(rejectMargin >= 1.0) || Double.isInfinite(rejectMargin)) {
      throw new IllegalArgumentException("reject margin must be >= 1 and finite");
    }
    if (!(maxPenalty >= 1.0) || Double.isInfinite(maxPenalty)) {
      throw new IllegalArgumentException("max penalty must be >= 1 and finite");
    }
  }

  /** The state of one participant on one task. */
  public record Standing(double alpha, double beta, int rounds) {}

  /** The standing of a participant that has not taken part yet. */
  public static Standing fresh() {
    return new Standing(0.0, 0.0, 0);
  }

  /** The standing after one more round with the given outcome: decay, then count (FILTERED counts 1). */
  public Standing next(Standing s, Outcome outcome) {
    return next(s, outcome, 1.0);
  }

  /**
   * The standing after one more round: decay, then count; a FILTERED outcome adds {@code
   * penalty} (see {@link #penalty}) to beta.
   */
  public Standing next(Standing s, Outcome outcome, double penalty) {
    double alpha = s.alpha() * decay + (outcome == Outcome.SELECTED ? 1.0 : 0.0);
    double beta = s.beta() * decay + (outcome == Outcome.FILTERED ? penalty : 0.0);
    return new Standing(alpha, beta, s.rounds() + 1);
  }

  /**
   * The evidence of a FILTERED update with {@code score} in a round whose lower median score
   * is {@code medianScore}: how far past the reject bar it lies, min(maxPenalty, max(1,
   * score / (rejectMargin x median))); maxPenalty when the bar is 0 or the ratio undefined.
   */
  public double penalty(double score, double medianScore) {
    double bar = rejectMargin * medianScore;
    double ratio = score / bar;
    if (!(bar > 0.0) || Double.isNaN(ratio)) {
      return maxPenalty;
    }
    return Math.min(maxPenalty, Math.max(1.0, ratio));
  }

  /** (alpha + a0) / (alpha + beta + a0 + b0), in (0, 1). */
  public double score(Standing s) {
    return (s.alpha() + priorAlpha) / ((s.alpha() + s.beta()) + (priorAlpha + priorBeta));
  }

  /** Whether the standing calls for suspension on the task. */
  public boolean shouldSuspend(Standing s) {
    return suspendThreshold > 0.0 && s.rounds() >= minRounds && score(s) < suspendThreshold;
  }

  /**
   * Classifies each update of a round. Kept updates are SELECTED; a left-out update is
   * FILTERED if its score is above {@code rejectMargin} times the lower median of all scores,
   * NOT_SELECTED otherwise. With an honest majority the median score is an honest one, so the
   * margin is measured against honest behaviour.
   */
  public Outcome[] classify(double[] scores, boolean[] kept) {
    if (scores.length != kept.length || scores.length == 0) {
      throw new IllegalArgumentException("one kept flag per score, at least one");
    }
    double bar = rejectMargin * org.fedledger.contracts.fl.aggregation.Ranking.lowerMedian(scores);
    Outcome[] out = new Outcome[scores.length];
    for (int i = 0; i < scores.length; i++) {
      if (kept[i]) {
        out[i] = Outcome.SELECTED;
      } else if (scores[i] > bar) {
        out[i] = Outcome.FILTERED;
      } else {
        out[i] = Outcome.NOT_SELECTED;
      }
    }
    return out;
  }
}
