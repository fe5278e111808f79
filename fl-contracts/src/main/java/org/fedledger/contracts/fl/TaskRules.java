package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.fedledger.contracts.fl.aggregation.MultiKrum;
import org.fedledger.contracts.fl.reputation.BetaReputation;
import org.fedledger.ledger.exec.ContractException;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.ModelSegment;
import org.fedledger.proto.ReputationParams;
import org.fedledger.proto.ShortfallPolicy;

/**
 * What a task's parameters mean: validation of {@link CreateTask}, the defaults behind its
 * zero values, and the numbers derived from it at round close (rule minimum, effective m,
 * trim count).
 */
public final class TaskRules {
  private TaskRules() {}

  /** Largest model the contract accepts: 2^24 parameters (64 MiB packed). */
  public static final int MAX_PARAMETERS = 1 << 24;
  /** Most updates a round can hold (bounds the O(n^2 d) work of a close). */
  public static final int MAX_UPDATES_CAP = 1000;
  private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** Refuses a CreateTask whose parameters are out of range or inconsistent. */
  public static void validate(CreateTask t) throws ContractException {
    check(TASK_ID.matcher(t.getTaskId()).matches(), "task_id must match [A-Za-z0-9._-]{1,64}");
    long length = checkLayout(t);
    check(t.getInitialWeights().size() == 4 * length,
        "initial_weights holds " + t.getInitialWeights().size() + " bytes, layout needs " + 4 * length);
    check(Weights.firstNonFinite(Weights.unpack(t.getInitialWeights())) < 0,
        "initial_weights must be finite");
    AggregationRule rule = t.getRule();
    check(rule != AggregationRule.AGGREGATION_RULE_UNSPECIFIED && rule != AggregationRule.UNRECOGNIZED,
        "rule must be set");
    int f = t.getByzantineF();
    check(f >= 0 && f <= MAX_UPDATES_CAP, "byzantine_f out of range");
    check(t.getMinUpdates() >= ruleMinimum(rule, f),
        "min_updates must be at least " + ruleMinimum(rule, f) + " for " + rule + " with f=" + f);
    check(t.getMaxUpdates() >= t.getMinUpdates() && t.getMaxUpdates() <= MAX_UPDATES_CAP,
        "max_updates must be in [min_updates, " + MAX_UPDATES_CAP + "]");
    check(rule != AggregationRule.MULTI_KRUM || (t.getSelectM() >= 1 && t.getSelectM() <= t.getMaxUpdates()),
        "select_m must be in [1, max_updates] for MULTI_KRUM");
    check(t.getRoundDeadlineBlocks() >= 1 && t.getRoundDeadlineBlocks() <= 1_000_000_000L,
        "round_deadline_blocks must be in [1, 1e9]");
    check(Double.isFinite(t.getNormBound()) && t.getNormBound() >= 0.0, "norm_bound must be finite and >= 0");
    check(rule != AggregationRule.TRIMMED_MEAN
        || (t.getTrimFraction() >= 0.0 && t.getTrimFraction() < 0.5), "trim_fraction must be in [0, 0.5)");
    double similarity = t.getChecks().getMaxSimilarity();
    check(similarity == 0.0 || (similarity > 0.0 && similarity <= 1.0), "checks.max_similarity must be 0 or in (0, 1]");
    check(!t.hasChecks() || rule == AggregationRule.KRUM || rule == AggregationRule.MULTI_KRUM,
        "checks apply to KRUM and MULTI_KRUM only");
    check(t.getShortfall() != ShortfallPolicy.UNRECOGNIZED, "unknown shortfall policy");
    check(t.getSampleWeighting() != org.fedledger.proto.SampleWeighting.UNRECOGNIZED, "unknown sample weighting");
    try {
      reputation(t);
    } catch (IllegalArgumentException e) {
      throw new ContractException(FlCodes.INVALID_TASK, "reputation: " + e.getMessage());
    }
    TreeSet<ByteString> seen = new TreeSet<>(ByteString.unsignedLexicographicalComparator());
    for (ByteString key : t.getPermittedList()) {
      check(key.size() == 32, "permitted keys must be 32-byte Ed25519 public keys");
      check(seen.add(key), "permitted key listed twice");
    }
  }

  private static long checkLayout(CreateTask t) throws ContractException {
    check(t.getLayoutCount() >= 1, "layout must name at least one segment");
    TreeSet<String> names = new TreeSet<>();
    long length = 0;
    for (ModelSegment s : t.getLayoutList()) {
      check(!s.getName().isEmpty() && names.add(s.getName()), "segment names must be non-empty and distinct");
      check(s.getLength() >= 1, "segment " + s.getName() + " must have length >= 1");
      length += Integer.toUnsignedLong(s.getLength());
      check(length <= MAX_PARAMETERS, "model longer than " + MAX_PARAMETERS + " parameters");
    }
    return length;
  }

  private static void check(boolean ok, String reason) throws ContractException {
    if (!ok) {
      throw new ContractException(FlCodes.INVALID_TASK, reason);
    }
  }

  /** Number of float32 parameters of the task's model. */
  public static int modelLength(CreateTask t) {
    long length = 0;
    for (ModelSegment s : t.getLayoutList()) {
      length += Integer.toUnsignedLong(s.getLength());
    }
    return Math.toIntExact(length);
  }

  /**
   * The least number of updates the rule is defined (and robust) for: Krum and Multi-Krum need
   * n >= 2f + 3 (Blanchard et al.); median and trimmed mean need an honest majority,
   * n >= 2f + 1; FedAvg needs one update.
   */
  public static int ruleMinimum(AggregationRule rule, int f) {
    switch (rule) {
      case KRUM:
      case MULTI_KRUM:
        return MultiKrum.minimumUpdates(f);
      case MEDIAN:
      case TRIMMED_MEAN:
        return 2 * f + 1;
      case FEDAVG:
        return 1;
      default:
        throw new IllegalArgumentException("no minimum for " + rule);
    }
  }

  /**
   * The rules a round closes under once {@code suspended} participants of the task are
   * suspended: {@code byzantine_f} bounds the Byzantine participants of the task, and a
   * suspended participant can no longer submit, so at most f - suspended Byzantine updates
   * can be among the round's (never below 0). Without this, a task whose filter worked would
   * starve: after its f attackers are suspended only n - f updates arrive, fewer than the
   * 2f + 3 Krum needs. The assumption is that suspended participants were Byzantine, which
   * the reputation rules (a clear margin, several rounds) are built to make true.
   */
  public static CreateTask afterSuspensions(CreateTask t, int suspended) {
    if (suspended <= 0 || t.getByzantineF() == 0) {
      return t;
    }
    return t.toBuilder().setByzantineF(Math.max(0, t.getByzantineF() - suspended)).build();
  }

  /** Updates Multi-Krum keeps out of n: select_m, at most n - f; Krum keeps 1. */
  public static int effectiveM(CreateTask t, int n) {
    if (t.getRule() == AggregationRule.KRUM) {
      return 1;
    }
    return Math.max(1, Math.min(t.getSelectM(), n - t.getByzantineF()));
  }

  /** Values cut at each end by TRIMMED_MEAN: max(f, floor(trim_fraction * n)), below n/2. */
  public static int trimCount(CreateTask t, int n) {
    int byFraction = (int) StrictMath.floor(t.getTrimFraction() * n);
    int trim = Math.max(t.getByzantineF(), byFraction);
    return Math.min(trim, (n - 1) / 2);
  }

  /** The shortfall policy with its default (WAIT). */
  public static ShortfallPolicy shortfall(CreateTask t) {
    return t.getShortfall() == ShortfallPolicy.FALLBACK_MEDIAN ? ShortfallPolicy.FALLBACK_MEDIAN : ShortfallPolicy.WAIT;
  }

  /** The task's reputation parameters with their defaults filled in (0 means default). */
  public static BetaReputation reputation(CreateTask t) {
    ReputationParams p = t.getReputation();
    return new BetaReputation(
        p.getPriorAlpha() == 0.0 ? BetaReputation.DEFAULT_PRIOR : p.getPriorAlpha(),
        p.getPriorBeta() == 0.0 ? BetaReputation.DEFAULT_PRIOR : p.getPriorBeta(),
        p.getDecay() == 0.0 ? BetaReputation.DEFAULT_DECAY : p.getDecay(),
        p.getSuspendThreshold(),
        p.getMinRounds(),
        p.getRejectMargin() == 0.0 ? BetaReputation.DEFAULT_REJECT_MARGIN : p.getRejectMargin(),
        p.getMaxPenalty() == 0.0 ? BetaReputation.DEFAULT_MAX_PENALTY : p.getMaxPenalty());
  }
}
