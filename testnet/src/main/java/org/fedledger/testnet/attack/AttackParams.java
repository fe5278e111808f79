package org.fedledger.testnet.attack;

/**
 * Strengths of the attacks. {@code claimMultiplier} is the lie about the sample count: an
 * attacker claims that many times its real row count (1 = honest claim). {@code
 * colluderSpread} makes ALIE and IPM adaptive: each colluder adds its own Gaussian noise of
 * that many times the pooled per-parameter standard deviation, so that their copies are no
 * longer identical (0 = one common update, as in the papers).
 */
public record AttackParams(double signFlipScale, double scale, double noiseSd, double ipmEpsilon,
    long claimMultiplier, double colluderSpread) {
  /** Checks ranges. */
  public AttackParams {
    if (!(signFlipScale > 0) || !(scale > 0) || !(noiseSd > 0) || !(ipmEpsilon > 0) || claimMultiplier < 1
        || !(colluderSpread >= 0)) {
      throw new IllegalArgumentException("attack strengths must be positive");
    }
  }

  /** The same strengths with colluders spreading their copies by {@code spread}. */
  public AttackParams withColluderSpread(double spread) {
    return new AttackParams(signFlipScale, scale, noiseSd, ipmEpsilon, claimMultiplier, spread);
  }

  /**
   * The strengths used in the experiments: sign flip x4 (so that 30 % of flipped updates
   * outweigh the honest 70 % under plain averaging), scaling x10, noise sd 1 (about ten times
   * an honest delta's per-parameter size), IPM epsilon 0.5, and every attacker claiming 100
   * times its real sample count; colluders send one common update.
   */
  public static AttackParams standard() {
    return new AttackParams(4.0, 10.0, 1.0, 0.5, 100, 0.0);
  }
}
