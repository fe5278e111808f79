package org.fedledger.testnet.attack;

import java.util.List;
import java.util.SplittableRandom;
import org.fedledger.testnet.fl.Gaussian;

/**
 * Crafts the attackers' updates of one round. The attackers collude: for ALIE and IPM they
 * pool the honest updates they computed on their own shards (what they can compute; the
 * honest clients' updates of the same block are not visible to them before it commits) and
 * all submit the same crafted update (or, with {@link AttackParams#colluderSpread}, each a
 * noisy copy of it).
 */
public final class Collusion {
  private final AttackMode mode;
  private final AttackParams params;
  private final int clients;
  private final int attackers;

  /** A group of {@code attackers} among {@code clients} running {@code mode}. */
  public Collusion(AttackMode mode, AttackParams params, int clients, int attackers) {
    if (attackers < 0 || attackers > clients) {
      throw new IllegalArgumentException(attackers + " attackers among " + clients + " clients");
    }
    this.mode = mode;
    this.params = params;
    this.clients = clients;
    this.attackers = attackers;
  }

  /** The mode. */
  public AttackMode mode() {
    return mode;
  }

  /** The sample count an attacker claims for {@code realRows} rows. */
  public long claim(long realRows) {
    return mode == AttackMode.NONE ? realRows : Math.multiplyExact(realRows, params.claimMultiplier());
  }

  /**
   * The update to submit. {@code own} is the attacker's own honest update (for LABEL_FLIP and
   * MODEL_REPLACEMENT: its update trained on flipped labels), {@code pooled} the honest updates
   * of all colluders (including {@code own}), {@code rnd} this attacker's noise source.
   */
  public float[] craft(float[] global, float[] own, List<float[]> pooled, SplittableRandom rnd) {
    int d = global.length;
    float[] out = new float[d];
    switch (mode) {
      case NONE:
      case LABEL_FLIP:
        return own.clone();
      case SIGN_FLIP:
        return plusScaled(global, own, -params.signFlipScale());
      case SCALING:
        return plusScaled(global, own, params.scale());
      case MODEL_REPLACEMENT:
        return plusScaled(global, own, clients);
      case GAUSSIAN_NOISE:
        for (int k = 0; k < d; k++) {
          out[k] = (float) (global[k] + params.noiseSd() * Gaussian.next(rnd));
        }
        return out;
      case ALIE: {
        double z = alieZ(clients, attackers);
        double[][] ms = meanAndSd(global, pooled);
        for (int k = 0; k < d; k++) {
          out[k] = (float) (global[k] + ms[0][k] - z * ms[1][k] + spread(ms[1][k], rnd));
        }
        return out;
      }
      case IPM: {
        double[][] ms = meanAndSd(global, pooled);
        for (int k = 0; k < d; k++) {
          out[k] = (float) (global[k] - params.ipmEpsilon() * ms[0][k] + spread(ms[1][k], rnd));
        }
        return out;
      }
    }
    throw new AssertionError(mode);
  }

  /**
   * Baruch et al. 2019, Algorithm 3: s = floor(n/2 + 1) - m supporters are needed, and
   * z = Phi^-1((n - s) / n).
   */
  public static double alieZ(int n, int m) {
    int s = n / 2 + 1 - m;
    double p = (double) (n - s) / n;
    return p >= 1.0 ? 3.0 : p <= 0.5 ? 0.0 : Gaussian.quantile(p);
  }

  /** An adaptive colluder's own noise on one parameter (0 for the papers' common update). */
  private double spread(double sd, SplittableRandom rnd) {
    return params.colluderSpread() == 0.0 ? 0.0 : params.colluderSpread() * sd * Gaussian.next(rnd);
  }

  private static float[] plusScaled(float[] global, float[] update, double factor) {
    float[] out = new float[global.length];
    for (int k = 0; k < global.length; k++) {
      out[k] = (float) (global[k] + factor * ((double) update[k] - global[k]));
    }
    return out;
  }

  /** Per-coordinate mean and (population) standard deviation of the pooled deltas. */
  private static double[][] meanAndSd(float[] global, List<float[]> pooled) {
    int d = global.length;
    double[] mean = new double[d];
    double[] sd = new double[d];
    for (float[] u : pooled) {
      for (int k = 0; k < d; k++) {
        mean[k] += (double) u[k] - global[k];
      }
    }
    for (int k = 0; k < d; k++) {
      mean[k] /= pooled.size();
    }
    for (float[] u : pooled) {
      for (int k = 0; k < d; k++) {
        double e = (double) u[k] - global[k] - mean[k];
        sd[k] += e * e;
      }
    }
    for (int k = 0; k < d; k++) {
      sd[k] = StrictMath.sqrt(sd[k] / pooled.size());
    }
    return new double[][] {mean, sd};
  }
}
