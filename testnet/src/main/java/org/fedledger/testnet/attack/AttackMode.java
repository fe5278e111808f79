package org.fedledger.testnet.attack;

/**
 * What a Byzantine client submits instead of its honest update. Deltas are taken against the
 * global model the round starts from; see {@link Collusion} for the exact formulas.
 */
public enum AttackMode {
  /** Honest. */
  NONE,
  /** The own honest delta, negated and amplified ({@link AttackParams#signFlipScale}). */
  SIGN_FLIP,
  /** The own honest delta times {@link AttackParams#scale} (x10). */
  SCALING,
  /**
   * Model replacement (Bagdasaryan et al. 2020): the delta towards a label-flipped model,
   * boosted by the number of clients so that it would replace the average.
   */
  MODEL_REPLACEMENT,
  /** The global model plus N(0, sd^2) noise on every parameter. */
  GAUSSIAN_NOISE,
  /** An honest training run on the client's data with every label flipped. */
  LABEL_FLIP,
  /**
   * "A little is enough" (Baruch et al. 2019): the colluders' mean honest delta minus z times
   * its per-coordinate standard deviation, z from the number of clients and attackers.
   */
  ALIE,
  /** Inner-product manipulation (Xie et al. 2019): minus epsilon times the colluders' mean honest delta. */
  IPM;

  /** Whether attackers of this mode pool their honest deltas to craft a common update. */
  public boolean colluding() {
    return this == ALIE || this == IPM;
  }
}
