package org.fedledger.consensus.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fedledger.consensus.Drop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Random runs across fault mixes: {@code -Dsim.seeds=N} of them (2,000 in CI), from seed
 * {@code -Dsim.base} (0). Each failing seed prints a one-line replay command.
 */
class SeedsTest {

  @Test
  void randomSeedsKeepSafetyAndLiveness() {
    int seeds = Integer.getInteger("sim.seeds", 2000);
    long base = Long.getLong("sim.base", 0L);
    int threads = Integer.getInteger("sim.threads", Math.min(2, Runtime.getRuntime().availableProcessors()));
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    Totals totals = new Totals();
    long started = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (long s = base; s < base + seeds; s++) {
        long seed = s;
        runs.add(pool.submit(() -> runOne(seed, totals, failures)));
      }
      for (Future<?> run : runs) {
        run.get();
      }
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e);
    } finally {
      pool.shutdownNow();
    }
    System.out.println(totals.report(seeds) + "; " + threads + " thread(s), "
        + (System.nanoTime() - started) / 1_000_000 + " ms");
    failures.sort(null);
    failures.forEach(System.out::println);
    assertThat(failures).as("failing seeds").isEmpty();
    assertThat(totals.viewChanges).as("view changes exercised").isPositive();
    assertThat(totals.transferred).as("state transfers exercised").isPositive();
  }

  private static void runOne(long s, Totals totals, List<String> failures) {
    try {
      SimRun.Outcome o = SimRun.run(s);
      synchronized (totals) {
        totals.add(o);
      }
    } catch (AssertionError | RuntimeException e) {
      String line = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      failures.add("seed " + s + ": " + line + "\n  replay: mvn -B -ntp -pl consensus -am test -Dtest=SeedsTest#replay"
          + " -Dsim.seed=" + s + " -Dsurefire.failIfNoSpecifiedTests=false");
      if (failures.size() <= 3) {
        e.printStackTrace();
      }
    }
  }

  @Test
  @EnabledIfSystemProperty(named = "sim.seed", matches = "-?\\d+")
  void replay() {
    SimRun.Outcome o = SimRun.run(Long.getLong("sim.seed"));
    System.out.println(o);
  }

  /** What the runs exercised, summed. */
  static final class Totals {
    long runs;
    long n4;
    long n7;
    final TreeMap<Behavior, Long> byzantine = new TreeMap<>();
    long viewChanges;
    long maxView;
    long transferred;
    long crashes;
    long wipes;
    long crashesAfterPersist;
    long partitions;
    long netDropped;
    long netDuplicated;
    long garbage;
    long equivocations;
    long blocks;
    long livenessTicksMax;
    final TreeMap<Drop, Long> drops = new TreeMap<>();

    void add(SimRun.Outcome o) {
      runs++;
      if (o.n() == 4) {
        n4++;
      } else {
        n7++;
      }
      o.byzantine().forEach(b -> byzantine.merge(b, 1L, Long::sum));
      viewChanges += o.viewChanges();
      maxView = Math.max(maxView, o.maxView());
      transferred += o.transferredBlocks();
      crashes += o.crashes();
      wipes += o.wipes();
      crashesAfterPersist += o.crashesAfterPersist();
      partitions += o.partitions();
      netDropped += o.netDropped();
      netDuplicated += o.netDuplicated();
      garbage += o.garbage();
      equivocations += o.equivocations();
      blocks += o.height();
      livenessTicksMax = Math.max(livenessTicksMax, o.livenessTicks());
      o.drops().forEach((k, v) -> drops.merge(k, v, Long::sum));
    }

    String report(int seeds) {
      return "SIM SUMMARY: " + runs + "/" + seeds + " seeds passed (n=4: " + n4 + ", n=7: " + n7 + "); byzantine "
          + byzantine + "; view changes " + viewChanges + " (max view " + maxView + "); blocks by state transfer "
          + transferred + "; crashes " + crashes + " (wiped " + wipes + ", between persist and send "
          + crashesAfterPersist + "); partitions " + partitions + "; messages dropped " + netDropped + ", duplicated "
          + netDuplicated + ", garbage " + garbage + "; equivocation proofs " + equivocations + "; blocks committed "
          + blocks + "; slowest recovery after faults stopped " + livenessTicksMax + " ticks of "
          + Cluster.TICK_MILLIS + " ms (bound " + SimRun.LIVENESS_TICKS + "); replica drops " + drops;
    }
  }
}
