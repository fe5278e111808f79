package org.fedledger.testnet.fl;

import java.util.Arrays;

/**
 * One patient: {@link Wdbc#FEATURES} raw feature values and the label id of {@link
 * ModelLayout#LABELS} (0 = malignant, 1 = benign, as in the file). Immutable.
 */
public final class Sample {
  private final double[] features;
  private final int label;

  /** Copies {@code features}; {@code label} must be 0 or 1. */
  public Sample(double[] features, int label) {
    if (features.length != Wdbc.FEATURES) {
      throw new IllegalArgumentException("expected " + Wdbc.FEATURES + " features, got " + features.length);
    }
    if (label != 0 && label != 1) {
      throw new IllegalArgumentException("label must be 0 or 1, got " + label);
    }
    this.features = features.clone();
    this.label = label;
  }

  /** Feature {@code j} (raw, not standardised). */
  public double feature(int j) {
    return features[j];
  }

  /** The label id. */
  public int label() {
    return label;
  }

  /** The same patient with the other label (a label-flipping attacker's view of its data). */
  public Sample flipped() {
    return new Sample(features, 1 - label);
  }

  @Override
  public String toString() {
    return "Sample[label=" + label + ", features=" + Arrays.toString(features) + "]";
  }
}
