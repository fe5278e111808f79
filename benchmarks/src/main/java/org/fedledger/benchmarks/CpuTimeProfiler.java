package org.fedledger.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * A JMH profiler that reports the benchmark process's CPU time per operation next to the
 * wall-clock score: {@code -prof org.fedledger.benchmarks.CpuTimeProfiler}.
 *
 * <p>Why: the machine these figures come from has two cores shared by several engineers, so
 * a single-threaded benchmark often waits for a core and its wall-clock time per operation
 * overstates its cost. CPU time counts only the time the process ran (the benchmark thread
 * plus JIT and GC threads, which are quiet once warm). It is meaningful for single-threaded
 * compute benchmarks; it is not for benchmarks that wait on a disk (fsync) or do untimed
 * per-invocation setup work (BlockCommit), whose CPU time it would count too. For the cluster
 * benchmarks it is the CPU time of the whole cluster (four validators and the client) per
 * block: the figure that bounds blocks/s on a saturated machine. Throughput benchmarks get it
 * in microseconds per op.
 */
public final class CpuTimeProfiler implements InternalProfiler {
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private long startNanos;

  @Override
  public String getDescription() {
    return "process CPU time per operation (for benchmarks on a shared machine)";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmark, IterationParams iteration) {
    startNanos = os.getProcessCpuTime();
  }

  @Override
  public Collection<? extends Result> afterIteration(BenchmarkParams benchmark, IterationParams iteration,
      IterationResult result) {
    long cpuNanos = os.getProcessCpuTime() - startNanos;
    long ops = result.getMetadata().getAllOps();
    // A throughput benchmark's unit is the denominator of ops/unit (s for blocks/s): report its
    // CPU time per op in microseconds instead, or a block's 2 ms would print as 0.002 s.
    TimeUnit unit = benchmark.getMode() == org.openjdk.jmh.annotations.Mode.Throughput ? TimeUnit.MICROSECONDS
        : benchmark.getTimeUnit();
    double perOp = ops == 0 ? Double.NaN : cpuNanos / (double) ops / unit.toNanos(1);
    return List.of(new ScalarResult("cpu", perOp, TimeValue.tuToString(unit) + "/op", AggregationPolicy.AVG));
  }
}
