package org.fedledger.testnet.fl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedledger.proto.ModelSegment;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.ImmutableOutputInfo;
import org.tribuo.RealInfo;
import org.tribuo.VariableInfo;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;

/**
 * The on-ledger layout of the logistic-regression model, which is exactly Tribuo's {@code
 * LinearParameters} matrix flattened row-major: one row per label id, one column per feature
 * id and a last column for the bias.
 *
 * <pre>
 * index  0..29  malignant.weights  (features f00..f29, file order)
 * index 30      malignant.bias
 * index 31..60  benign.weights
 * index 61      benign.bias
 * </pre>
 *
 * Feature names are zero-padded ({@code f00}..{@code f29}) because Tribuo numbers features
 * by sorted name: padded names keep the file order. Label ids are fixed explicitly
 * (malignant = 0, benign = 1, as in the file) rather than left to Tribuo, which numbers
 * labels in hash-map order and gives a one-label client a one-row domain.
 */
public final class ModelLayout {
  /** Label names by id. */
  public static final List<String> LABELS = List.of("malignant", "benign");
  /** Columns per label row: features and bias. */
  public static final int ROW = Wdbc.FEATURES + 1;
  /** Parameters of the model. */
  public static final int LENGTH = LABELS.size() * ROW;
  /** The positive class for AUC. */
  public static final String POSITIVE = "malignant";

  private static final List<String> FEATURE_NAMES = buildFeatureNames();

  private ModelLayout() {}

  /** The task's model segments, in layout order. */
  public static List<ModelSegment> segments() {
    List<ModelSegment> out = new ArrayList<>();
    for (String label : LABELS) {
      out.add(ModelSegment.newBuilder().setName(label + ".weights").setLength(Wdbc.FEATURES).build());
      out.add(ModelSegment.newBuilder().setName(label + ".bias").setLength(1).build());
    }
    return out;
  }

  /** Whether {@code layout} is this layout (a client refuses a task it cannot train). */
  public static boolean matches(List<ModelSegment> layout) {
    return segments().equals(layout);
  }

  /** Feature name of column {@code j}. */
  public static String featureName(int j) {
    return FEATURE_NAMES.get(j);
  }

  /** Feature names by column. */
  public static List<String> featureNames() {
    return FEATURE_NAMES;
  }

  private static List<String> buildFeatureNames() {
    List<String> names = new ArrayList<>(Wdbc.FEATURES);
    for (int j = 0; j < Wdbc.FEATURES; j++) {
      names.add(String.format("f%02d", j));
    }
    return List.copyOf(names);
  }

  /** The canonical Tribuo feature map, built from the layout only (never from local data). */
  public static ImmutableFeatureMap featureMap() {
    List<VariableInfo> infos = new ArrayList<>();
    for (String name : featureNames()) {
      infos.add(new RealInfo(name));
    }
    ImmutableFeatureMap map = new ImmutableFeatureMap(infos);
    for (int j = 0; j < Wdbc.FEATURES; j++) {
      if (map.getID(featureName(j)) != j) {
        throw new IllegalStateException("Tribuo numbered feature " + featureName(j) + " as " + map.getID(featureName(j)));
      }
    }
    return map;
  }

  /** The canonical Tribuo label domain: malignant = 0, benign = 1. */
  public static ImmutableOutputInfo<Label> labelInfo() {
    return new LabelFactory().constructInfoForExternalModel(
        Map.of(new Label(LABELS.get(0)), 0, new Label(LABELS.get(1)), 1));
  }
}
