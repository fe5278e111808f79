package org.fedledger.consensus.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
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
    long minutes = Long.getLong("sim.minutes", 0L); // a soak's time budget: seeds not started by then are skipped
    long deadline = minutes > 0 ? System.nanoTime() + minutes * 60_000_000_000L : Long.MAX_VALUE;
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    Totals totals = new Totals();
    AtomicLong started = new AtomicLong();
    long startNanos = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (long s = base; s < base + seeds; s++) {
        long seed = s;
        runs.add(pool.submit(() -> {
          if (System.nanoTime() - deadline < 0) {
            started.incrementAndGet();
            runOne(seed, totals, failures);
          }
        }));
      }
      for (Future<?> run : runs) {
        run.get();
      }
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e);
    } finally {
      pool.shutdownNow();
    }
    failures.sort(null);
    long wallMillis = (System.nanoTime() - startNanos) / 1_000_000;
    String summary = totals.report(started.get(), base, failures.size()) + " Wall time " + wallMillis + " ms on "
        + threads + " thread(s).";
    System.out.println(summary);
    writeSummary(base, seeds, summary, failures);
    failures.forEach(System.out::println);
    assertThat(failures).as("failing seeds").isEmpty();
    if (totals.runs >= 1000) {
      // The fault mixes really inject every fault the simulator models, and exercise what they must.
      TreeMap<String, Long> exercised = new TreeMap<>();
      exercised.put("messages dropped", totals.netDropped);
      exercised.put("messages duplicated", totals.netDuplicated);
      exercised.put("messages delayed", totals.netDelayed);
      exercised.put("messages reordered", totals.netReordered);
      exercised.put("partitions", totals.partitions);
      exercised.put("crashes", totals.crashes);
      exercised.put("crashes between persist and send", totals.crashesAfterPersist);
      exercised.put("restarts", totals.restarts);
      exercised.put("restarts with an empty data directory", totals.wipes);
      if (SimRun.LAZY) {
        exercised.put("runs with lazy vote sync", totals.lazyRuns);
        exercised.put("unsynced batches lost in power failures", totals.lostBatches);
        exercised.put("restarts that abstained from forgotten votes", totals.abstentions);
        exercised.put("crashes right after sending unsynced votes", totals.crashesAfterUnsyncedSend);
      }
      exercised.put("garbage messages", totals.garbage);
      exercised.put("equivocation proofs", totals.equivocations);
      exercised.put("view changes", totals.viewChanges);
      exercised.put("view-change blocks fetched", totals.viewChangeBlocksFetched);
      exercised.put("lies about view-change blocks", totals.viewChangeLies);
      exercised.put("runs with PHANTOM_PREPARED", totals.lies.getOrDefault(ViewChangeLie.PHANTOM_PREPARED, 0L));
      exercised.put("runs with WRONG_BLOCKS", totals.lies.getOrDefault(ViewChangeLie.WRONG_BLOCKS, 0L));
      exercised.put("state transfers completed", totals.transfers);
      exercised.put("state transfers completed after losing the serving peer", totals.transfersAfterPeerLoss);
      exercised.put("honest commits of uncertified blocks", totals.uncertifiedCommits);
      exercised.put("state-transfer responses accepted on f+1 matching peers", totals.transfersOnMatchingPeers);
      exercised.forEach((what, count) -> assertThat(count).as(what).isPositive());
      assertThat(totals.byzantine.keySet()).as("Byzantine kinds")
          .containsExactlyInAnyOrder(Behavior.EQUIVOCATE, Behavior.WITHHOLD, Behavior.RANDOM_VOTES, Behavior.GARBAGE,
              Behavior.TWINS, Behavior.NEVER_CERTIFY, Behavior.CERTIFY_ALL, Behavior.JUNK_COMMIT_SIGNATURES,
              Behavior.SIGN_UNCERTIFIED, Behavior.SPLIT_CERTIFY);
      assertThat(totals.n4).as("runs with n = 4").isPositive();
      assertThat(totals.n7).as("runs with n = 7").isPositive();
    }
  }

  private static void runOne(long s, Totals totals, List<String> failures) {
    try {
      SimRun.Outcome o = SimRun.run(s);
      long done;
      synchronized (totals) {
        totals.add(o);
        done = totals.runs;
      }
      if (done % 5000 == 0) {
        System.out.println("sim progress: " + done + " seeds passed, " + failures.size() + " failed");
      }
    } catch (AssertionError | RuntimeException e) {
      String line = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      String report = "SEED FAILED " + s + ": " + line + " | replay: " + replayCommand(s);
      failures.add(report);
      System.out.println(report);
      if (failures.size() <= 3) {
        e.printStackTrace();
      }
    }
  }

  /** The one-line command that replays seed {@code s}. */
  static String replayCommand(long s) {
    return "mvn -B -ntp -pl consensus -am test -Dtest=SeedsTest#replay -Dsim.seed=" + s
        + " -Dsurefire.failIfNoSpecifiedTests=false";
  }

  /** Determinism: a seed replays bit for bit (same chain head, same message counts, same drops). */
  @Test
  void aSeedReplaysExactly() {
    for (long seed : new long[] {3, 1066, 1603}) {
      assertThat(SimRun.run(seed)).isEqualTo(SimRun.run(seed));
    }
  }

  /** Keeps the summary (and any failing seeds) in target/, e.g. target/sim-seeds-0-2000.txt. */
  private static void writeSummary(long base, int seeds, String summary, List<String> failures) {
    Path file = Path.of("target", "sim-seeds-" + base + "-" + seeds + ".txt");
    try {
      Files.createDirectories(file.getParent());
      List<String> lines = new ArrayList<>();
      lines.add(summary);
      synchronized (failures) {
        lines.addAll(failures);
      }
      Files.write(file, lines);
    } catch (IOException e) {
      System.out.println("could not write " + file + ": " + e);
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
    long transfers;
    long transfersAfterPeerLoss;
    long transferredBlocks;
    long crashes;
    long restarts;
    long wipes;
    long crashesAfterPersist;
    long partitions;
    long netSent;
    long netDropped;
    long netDuplicated;
    long netDelayed;
    long netReordered;
    long garbage;
    long equivocations;
    long txCommitted;
    long blocks;
    long maxHeight;
    long livenessTicksMax;
    long certifiedCommits;
    long uncertifiedCommits;
    long transfersOnMatchingPeers;
    long uncertifiedHeads;
    long lazyRuns;
    long syncs;
    long lostBatches;
    long abstentions;
    long crashesAfterUnsyncedSend;
    long votesChecked;
    long viewChangeLies;
    long viewChangeBlocksFetched;
    final TreeMap<ViewChangeLie, Long> lies = new TreeMap<>();
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
      transfers += o.transfers();
      transfersAfterPeerLoss += o.transfersAfterPeerLoss();
      transferredBlocks += o.transferredBlocks();
      crashes += o.crashes();
      restarts += o.restarts();
      wipes += o.wipes();
      crashesAfterPersist += o.crashesAfterPersist();
      partitions += o.partitions();
      netSent += o.netSent();
      netDropped += o.netDropped();
      netDuplicated += o.netDuplicated();
      netDelayed += o.netDelayed();
      netReordered += o.netReordered();
      garbage += o.garbage();
      equivocations += o.equivocations();
      txCommitted += o.txCommitted();
      blocks += o.height();
      maxHeight = Math.max(maxHeight, o.height());
      livenessTicksMax = Math.max(livenessTicksMax, o.livenessTicks());
      o.drops().forEach((k, v) -> drops.merge(k, v, Long::sum));
      certifiedCommits += o.certifiedCommits();
      uncertifiedCommits += o.uncertifiedCommits();
      transfersOnMatchingPeers += o.transfersOnMatchingPeers();
      uncertifiedHeads += o.uncertifiedHeads();
      lazyRuns += o.lazyVoteSync() ? 1 : 0;
      syncs += o.syncs();
      lostBatches += o.lostBatches();
      abstentions += o.abstentions();
      crashesAfterUnsyncedSend += o.crashesAfterUnsyncedSend();
      votesChecked += o.votesChecked();
      viewChangeLies += o.viewChangeLies();
      viewChangeBlocksFetched += o.viewChangeBlocksFetched();
      if (o.lie() != ViewChangeLie.NONE) {
        lies.merge(o.lie(), 1L, Long::sum);
      }
    }

    /** The one-paragraph summary: the figures of a closing note. */
    String report(long seeds, long base, int failed) {
      long byz = byzantine.values().stream().mapToLong(Long::longValue).sum();
      return "SIM SUMMARY: " + seeds + " seeds run (" + base + ".." + (base + seeds - 1) + "), " + runs + " passed, "
          + failed + " failed; n=4: " + n4 + ", n=7: " + n7 + ". Faults injected: of " + netSent
          + " messages sent, " + netDropped + " dropped, " + netDuplicated + " duplicated, " + netDelayed
          + " delayed beyond " + NetFaults.CALM.delayMaxMillis() + " ms, " + netReordered + " delivered out of order; "
          + partitions + " partitions; " + crashes + " crashes (" + crashesAfterPersist
          + " between persisting and sending), " + restarts + " restarts, " + wipes
          + " of them from an empty data directory; " + lazyRuns + " runs with lazy vote sync (" + syncs
          + " synced writes; " + crashesAfterUnsyncedSend + " crashes right after sending unsynced votes; "
          + lostBatches + " unsynced batches lost in power failures; " + abstentions
          + " restarts abstained from forgotten votes; " + votesChecked + " honest votes checked never to differ); "
          + byz + " Byzantine validators: " + kinds()
          + "; runs whose Byzantine validators lie about view-change blocks: " + lies + " (" + viewChangeLies
          + " lies told); " + garbage + " garbage messages, " + equivocations + " equivocation proofs kept. Exercised: "
          + viewChanges + " view changes started (highest view " + maxView + "), " + viewChangeBlocksFetched
          + " view-change blocks fetched, " + transfers
          + " state transfers completed (" + transfersAfterPeerLoss + " after a serving peer stopped answering), "
          + transferredBlocks + " blocks by state transfer (" + transfersOnMatchingPeers
          + " responses accepted on f+1 matching peers, above the newest certificate). Committed: " + txCommitted
          + " transactions (every one submitted, at every honest validator), " + blocks
          + " blocks, max height " + maxHeight + "; honest commits " + certifiedCommits + " certified (2f+1 signatures,"
          + " verified) and " + uncertifiedCommits + " not; " + uncertifiedHeads + " honest chains ended above their"
          + " newest certificate (always by fewer than K blocks); slowest recovery after faults stopped " + livenessTicksMax
          + " ticks of " + Cluster.TICK_MILLIS + " ms (bound " + SimRun.LIVENESS_TICKS + "). Replica drops by reason: "
          + drops + ".";
    }

    private String kinds() {
      StringBuilder sb = new StringBuilder();
      byzantine.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(v).append(' ')
          .append(k.name().toLowerCase(java.util.Locale.ROOT)));
      return sb.length() == 0 ? "none" : sb.toString();
    }
  }
}
