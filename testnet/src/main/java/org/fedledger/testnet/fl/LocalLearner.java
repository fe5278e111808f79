package org.fedledger.testnet.fl;

import com.oracle.labs.mlrg.olcut.provenance.Provenance;
import com.oracle.labs.mlrg.olcut.provenance.primitives.IntProvenance;
import com.oracle.labs.mlrg.olcut.provenance.primitives.LongProvenance;
import com.oracle.labs.mlrg.olcut.provenance.primitives.StringProvenance;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.tribuo.Example;
import org.tribuo.ImmutableDataset;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.ImmutableOutputInfo;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.evaluation.LabelEvaluation;
import org.tribuo.classification.evaluation.LabelEvaluator;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.LinearParameters;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * A client's local logistic regression over Tribuo: warm-started from the global model's
 * packed float32 weights ({@link ModelLayout}), trained on the client's shard, flattened back
 * to float32. Everything Tribuo-specific stays in this package.
 *
 * <p>Deterministic: the same shard, config, global weights and round give the same bits
 * (Tribuo's SGD shuffles with a generator seeded from the config seed and the round).
 * Not thread-safe.
 */
public final class LocalLearner {
  /** Held strongly: java.util.logging keeps only weak references to configured loggers. */
  private static final Logger TRIBUO_LOG = Logger.getLogger("org.tribuo");

  static {
    quietTribuo();
  }

  /** Local training settings: epochs, AdaGrad learning rate, seed. */
  public record Config(int epochs, double learningRate, long seed) {
    /** Checks ranges. */
    public Config {
      if (epochs < 1 || !(learningRate > 0.0)) {
        throw new IllegalArgumentException("epochs must be >= 1 and learningRate > 0");
      }
    }

    /** The settings used by the experiments: 1 epoch of AdaGrad(0.1) per round. */
    public static Config standard(long seed) {
      return new Config(1, 0.1, seed);
    }
  }

  private static final LabelFactory LABELS = new LabelFactory();
  private static final ImmutableFeatureMap FEATURES = ModelLayout.featureMap();
  private static final ImmutableOutputInfo<Label> LABEL_INFO = ModelLayout.labelInfo();

  private final String clientId;
  private final ImmutableDataset<Label> data;
  private final WarmStartTrainer trainer;

  /** A learner for {@code clientId} over {@code shard}, standardised with global statistics. */
  public LocalLearner(String clientId, List<Sample> shard, Standardiser standardiser, Config config) {
    if (shard.isEmpty()) {
      throw new IllegalArgumentException("client " + clientId + " has no data");
    }
    this.clientId = clientId;
    this.data = dataset(shard, standardiser, "shard of " + clientId);
    this.trainer = new WarmStartTrainer(new AdaGrad(config.learningRate(), 0.1), config.epochs(), config.seed());
  }

  /** Rows in the shard (what an honest client claims as its sample count). */
  public int sampleCount() {
    return data.size();
  }

  /** Trains from {@code global} for round {@code round} and returns the new weights. */
  public float[] train(float[] global, long round) {
    trainer.setInitialParameters(toParameters(global));
    Map<String, Provenance> run = new TreeMap<>();
    run.put("fl-client", new StringProvenance("fl-client", clientId));
    run.put("fl-round", new LongProvenance("fl-round", round));
    LinearSGDModel model = trainer.train(data, run, Math.toIntExact(Math.min(round, Integer.MAX_VALUE)));
    return flatten(model);
  }

  /** The model's parameters in {@link ModelLayout} order. */
  static float[] flatten(LinearSGDModel model) {
    DenseMatrix w = model.getWeightsCopy();
    float[] out = new float[ModelLayout.LENGTH];
    for (int i = 0; i < ModelLayout.LABELS.size(); i++) {
      for (int j = 0; j < ModelLayout.ROW; j++) {
        out[i * ModelLayout.ROW + j] = (float) w.get(i, j);
      }
    }
    return out;
  }

  /** Tribuo parameters from weights in {@link ModelLayout} order. */
  static LinearParameters toParameters(float[] weights) {
    if (weights.length != ModelLayout.LENGTH) {
      throw new IllegalArgumentException("model has " + weights.length + " parameters, layout needs " + ModelLayout.LENGTH);
    }
    DenseMatrix w = new DenseMatrix(ModelLayout.LABELS.size(), ModelLayout.ROW);
    for (int i = 0; i < ModelLayout.LABELS.size(); i++) {
      for (int j = 0; j < ModelLayout.ROW; j++) {
        w.set(i, j, weights[i * ModelLayout.ROW + j]);
      }
    }
    return new LinearParameters(w);
  }

  /** A Tribuo model holding exactly {@code weights} (a 0-epoch warm-started run). */
  static LinearSGDModel model(float[] weights, String description) {
    // The dataset is empty, so no gradient step is taken whatever the epochs.
    WarmStartTrainer builder = new WarmStartTrainer(new AdaGrad(0.1, 0.1), 1, 0L);
    builder.setInitialParameters(toParameters(weights));
    ImmutableDataset<Label> empty = dataset(List.of(), null, description);
    Map<String, Provenance> run = new TreeMap<>();
    run.put("fl-model", new StringProvenance("fl-model", description));
    run.put("fl-length", new IntProvenance("fl-length", weights.length));
    return builder.train(empty, run, 0);
  }

  /** Accuracy and AUC (malignant as positive) of {@code weights} on {@code test}. */
  public static Evaluation evaluate(float[] weights, ImmutableDataset<Label> test) {
    LabelEvaluation e = new LabelEvaluator().evaluate(model(weights, "global"), test);
    return new Evaluation(e.accuracy(), e.AUCROC(new Label(ModelLayout.POSITIVE)));
  }

  /** A held-out test set in the canonical domains. */
  public static ImmutableDataset<Label> testSet(List<Sample> rows, Standardiser standardiser) {
    return dataset(rows, standardiser, "held-out test set");
  }

  private static ImmutableDataset<Label> dataset(List<Sample> rows, Standardiser standardiser, String description) {
    List<Example<Label>> examples = new ArrayList<>(rows.size());
    String[] names = ModelLayout.featureNames().toArray(new String[0]);
    for (Sample s : rows) {
      double[] x = new double[Wdbc.FEATURES];
      for (int j = 0; j < Wdbc.FEATURES; j++) {
        x[j] = standardiser.apply(s, j);
      }
      examples.add(new ArrayExample<>(new Label(ModelLayout.LABELS.get(s.label())), names, x));
    }
    return new ImmutableDataset<>(examples, new SimpleDataSourceProvenance(description, LABELS), LABELS,
        FEATURES, LABEL_INFO, false);
  }

  /** Tribuo logs at INFO on every train(); clients and tests keep it at WARNING. */
  public static void quietTribuo() {
    TRIBUO_LOG.setLevel(Level.WARNING);
  }
}
