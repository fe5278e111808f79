package org.fedledger.testnet.fl;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How the data set is cut for one experiment: a stratified k-fold split (fold {@code fold}
 * is the held-out test set, the others are training data) and a non-IID split of the
 * training data over the clients with Dirichlet label skew (Hsu et al. 2019: for each label,
 * the clients' shares are drawn from Dir(alpha); small alpha, strong skew). Deterministic
 * under the seed.
 */
public final class Partition {
  private final List<Sample> test;
  private final List<List<Sample>> shards;

  private Partition(List<Sample> test, List<List<Sample>> shards) {
    this.test = test;
    this.shards = shards;
  }

  /**
   * Holds out stratified fold {@code fold} of {@code folds} (the fold assignment is shuffled
   * with {@code foldSeed}) and shards the rest over {@code clients} with Dirichlet({@code
   * alpha}) label skew drawn from {@code shardSeed}; every client gets at least {@code
   * minRows} rows (the draw is repeated until it does).
   */
  public static Partition of(List<Sample> data, int folds, int fold, long foldSeed, int clients, double alpha,
      int minRows, long shardSeed) {
    if (folds < 2 || fold < 0 || fold >= folds) {
      throw new IllegalArgumentException("fold " + fold + " of " + folds);
    }
    if (clients < 1 || clients * minRows > data.size()) {
      throw new IllegalArgumentException(clients + " clients of " + minRows + " rows do not fit " + data.size() + " rows");
    }
    List<Sample> test = new ArrayList<>();
    List<List<Sample>> trainByLabel = List.of(new ArrayList<>(), new ArrayList<>());
    SplittableRandom foldRnd = new SplittableRandom(foldSeed);
    for (int label = 0; label < 2; label++) {
      List<Sample> rows = new ArrayList<>();
      for (Sample s : data) {
        if (s.label() == label) {
          rows.add(s);
        }
      }
      shuffle(rows, foldRnd);
      for (int i = 0; i < rows.size(); i++) {
        (i % folds == fold ? test : trainByLabel.get(label)).add(rows.get(i));
      }
    }
    SplittableRandom rnd = new SplittableRandom(shardSeed);
    for (int attempt = 0; attempt < 10_000; attempt++) {
      List<List<Sample>> shards = dirichletShards(trainByLabel, clients, alpha, rnd);
      if (shards.stream().allMatch(s -> s.size() >= minRows)) {
        return new Partition(List.copyOf(test), shards.stream().map(List::copyOf).toList());
      }
    }
    throw new IllegalArgumentException("no Dirichlet(" + alpha + ") draw gives every client " + minRows + " rows");
  }

  private static List<List<Sample>> dirichletShards(List<List<Sample>> byLabel, int clients, double alpha,
      SplittableRandom rnd) {
    List<List<Sample>> shards = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      shards.add(new ArrayList<>());
    }
    for (List<Sample> rows0 : byLabel) {
      List<Sample> rows = new ArrayList<>(rows0);
      shuffle(rows, rnd);
      double[] p = dirichlet(clients, alpha, rnd);
      int start = 0;
      double cum = 0.0;
      for (int c = 0; c < clients; c++) {
        cum += p[c];
        int end = c == clients - 1 ? rows.size() : (int) Math.round(cum * rows.size());
        end = Math.max(start, Math.min(end, rows.size()));
        shards.get(c).addAll(rows.subList(start, end));
        start = end;
      }
    }
    return shards;
  }

  /** A draw from the symmetric Dirichlet(alpha) over {@code k} categories. */
  static double[] dirichlet(int k, double alpha, SplittableRandom rnd) {
    double[] g = new double[k];
    double sum = 0.0;
    for (int i = 0; i < k; i++) {
      g[i] = gamma(alpha, rnd);
      sum += g[i];
    }
    for (int i = 0; i < k; i++) {
      g[i] /= sum;
    }
    return g;
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (2000), with the shape < 1 boost. */
  static double gamma(double shape, SplittableRandom rnd) {
    if (shape < 1.0) {
      double u = rnd.nextDouble();
      return gamma(shape + 1.0, rnd) * StrictMath.pow(u == 0.0 ? Double.MIN_VALUE : u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0;
    double c = 1.0 / StrictMath.sqrt(9.0 * d);
    while (true) {
      double x = Gaussian.next(rnd);
      double v = 1.0 + c * x;
      if (v <= 0.0) {
        continue;
      }
      v = v * v * v;
      double u = rnd.nextDouble();
      if (u < 1.0 - 0.0331 * x * x * x * x
          || StrictMath.log(u) < 0.5 * x * x + d * (1.0 - v + StrictMath.log(v))) {
        return d * v;
      }
    }
  }

  private static void shuffle(List<Sample> rows, SplittableRandom rnd) {
    for (int i = rows.size() - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      Sample t = rows.get(i);
      rows.set(i, rows.get(j));
      rows.set(j, t);
    }
  }

  /** The held-out test rows. */
  public List<Sample> test() {
    return test;
  }

  /** Client {@code c}'s training rows. */
  public List<Sample> shard(int c) {
    return shards.get(c);
  }

  /** Number of clients. */
  public int clients() {
    return shards.size();
  }
}
