package org.fedledger.benchmarks.contracts;

import java.util.concurrent.TimeUnit;
import org.fedledger.contracts.fl.aggregation.Aggregators;
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
 * The other robust rules of a round close, on one core: coordinate-wise median (also the
 * shortfall fallback of every task) and trimmed mean (f trimmed at each end) over n updates
 * of d parameters, the same seeded rounds as {@link MultiKrumAggregation}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dlogback.configurationFile=fedledger-benchmarks-logback.xml"})
@State(Scope.Benchmark)
public class CoordinateWiseAggregation {
  /** Number of updates in the round. */
  @Param({"10", "50", "100"})
  public int updates;

  /** Parameters per update. */
  @Param({"1000", "100000"})
  public int parameters;

  float[][] vectors;
  int[] members;
  int byzantine;

  /** Builds the seeded round. */
  @Setup
  public void setup() {
    byzantine = SyntheticRound.byzantine(updates);
    vectors = SyntheticRound.updates(updates, parameters, byzantine, 42);
    members = new int[updates];
    for (int i = 0; i < updates; i++) {
      members[i] = i;
    }
  }

  /** Coordinate-wise median of all updates. */
  @Benchmark
  public float[] median() {
    return Aggregators.median(vectors, members);
  }

  /** Coordinate-wise trimmed mean, f values cut at each end. */
  @Benchmark
  public float[] trimmedMean() {
    return Aggregators.trimmedMean(vectors, members, byzantine);
  }
}
