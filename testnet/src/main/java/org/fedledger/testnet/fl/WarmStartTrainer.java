package org.fedledger.testnet.fl;

import java.util.SplittableRandom;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.math.LinearParameters;
import org.tribuo.math.StochasticGradientOptimiser;

/**
 * Tribuo's linear SGD trainer started from given parameters instead of zeros. Tribuo 4.3 has
 * no public warm start; every {@code train} asks the protected hook {@link #createParameters}
 * for the initial parameters, which this subclass answers with a copy of the global model.
 * A shape guard turns a feature or label domain mismatch into an exception instead of a
 * silently wrong model. Not thread-safe (one per client).
 */
final class WarmStartTrainer extends LinearSGDTrainer {
  private LinearParameters initial;

  WarmStartTrainer(StochasticGradientOptimiser optimiser, int epochs, long seed) {
    super(new LogMulticlass(), optimiser, epochs, -1, 1, seed);
  }

  /** The parameters the next {@code train} starts from (copied). */
  void setInitialParameters(LinearParameters p) {
    this.initial = p.copy();
  }

  @Override
  protected LinearParameters createParameters(int numFeatures, int numOutputs, SplittableRandom rng) {
    if (initial == null) {
      return super.createParameters(numFeatures, numOutputs, rng);
    }
    int rows = initial.getWeightMatrix().getDimension1Size();
    int cols = initial.getWeightMatrix().getDimension2Size();
    if (rows != numOutputs || cols != numFeatures + 1) {
      throw new IllegalStateException("initial parameters are " + rows + "x" + cols + " but the dataset needs "
          + numOutputs + "x" + (numFeatures + 1));
    }
    return initial.copy();
  }
}
