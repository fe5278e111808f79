package org.fedledger.benchmarks.contracts;

import java.util.concurrent.TimeUnit;
import org.fedledger.contracts.fl.aggregation.Aggregators;
import org.fedledger.contracts.fl.aggregation.MultiKrum;
import org.fedledger.contracts.fl.aggregation.PairwiseDistances;
import org.fedledger.contracts.fl.aggregation.Selection;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The arithmetic of a Multi-Krum round close, on one core, exactly as the contract runs it
 * ({@code RoundAggregation}): all pairwise squared distances, Krum scores, the ranking, and
 * the weighted mean of the kept updates. n updates of d parameters, f = max(1, n / 10)
 * Byzantine, m = n - f kept. The target is 250 ms for n = 100, d = 100,000.
 *
 * <p>{@link #distances} times the O(n^2 d) part alone, to show where the time goes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dlogback.configurationFile=fedledger-benchmarks-logback.xml"})
@State(Scope.Benchmark)
public class MultiKrumAggregation {
  /** Number of updates in the round. */
  @Param({"10", "50", "100"})
  public int updates;

  /** Parameters per update. */
  @Param({"1000", "100000"})
  public int parameters;

  float[][] vectors;
  long[] tieKeys;
  double[] weights;
  int byzantine;
  int keep;

  /** Builds the seeded round. */
  @Setup
  public void setup() {
    byzantine = SyntheticRound.byzantine(updates);
    keep = updates - byzantine;
    vectors = SyntheticRound.updates(updates, parameters, byzantine, 42);
    weights = SyntheticRound.sampleCounts(updates, 43);
    tieKeys = new long[updates];
    for (int i = 0; i < updates; i++) {
      tieKeys[i] = i;
    }
  }

  /** Multi-Krum selection and the weighted mean of the kept updates: the new global model. */
  @Benchmark
  public float[] selectAndAggregate() {
    Selection selection = MultiKrum.select(vectors, tieKeys, byzantine, keep);
    return Aggregators.weightedMean(vectors, selection.kept(), weights);
  }

  /** The n(n-1)/2 squared distances alone. */
  @Benchmark
  public PairwiseDistances distances() {
    return PairwiseDistances.of(vectors);
  }
}
