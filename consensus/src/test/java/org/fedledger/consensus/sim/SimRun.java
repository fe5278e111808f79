package org.fedledger.consensus.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.fedledger.consensus.Drop;
import org.fedledger.ledger.exec.ParsedTx;

/**
 * One random run from a seed: the seed picks n (4 or 7), K, W, block size, a fault mix (network
 * drop/duplicate/delay rates, partitions, crashes and restarts with or without the data
 * directory, crashes between persisting and sending), the vote durability (lazy vote sync in three
 * runs of four, with crashes that keep, lose some or lose all unsynced writes) and up to f
 * Byzantine validators; clients
 * submit transactions during the faulty phase, one at a time or in bursts. Then faults stop
 * (Byzantine validators keep lying), crashed validators restart, clients retry, and every
 * submitted transaction must commit at every honest validator within {@link #LIVENESS_TICKS}.
 */
final class SimRun {
  /** Bound on simulated time from the end of faults to every transaction committed (60 s). */
  static final int LIVENESS_TICKS = 6_000;

  /** What a run exercised. */
  record Outcome(long seed, int n, List<Behavior> byzantine, long ticks, long maxView, long viewChanges,
      long transfers, long transfersAfterPeerLoss, long transferredBlocks, long crashes, long restarts, long wipes,
      long crashesAfterPersist, long partitions, long netSent, long netDropped, long netDuplicated, long netDelayed,
      long netReordered, long garbage, long equivocations, long txCommitted, long height, String headHash,
      long livenessTicks, TreeMap<Drop, Long> drops, long certifiedCommits, long uncertifiedCommits,
      long transfersOnMatchingPeers, long uncertifiedHeads, boolean lazyVoteSync, PowerLoss powerLoss,
      long syncs, long lostBatches, long abstentions, long crashesAfterUnsyncedSend, long votesChecked,
      ViewChangeLie lie, long viewChangeLies, long viewChangeBlocksFetched) {}

  private SimRun() {}

  /**
   * Lazy vote sync is off by default: it loses NEW-VIEW liveness (seed 307721, replayed now by 312710; see the README);
   * {@code -Dsim.lazy=true} turns it on in three runs of four.
   */
  static final boolean LAZY = Boolean.getBoolean("sim.lazy");

  static Outcome run(long seed) {
    return run(seed, false, true, true, LAZY);
  }

  /**
   * One run; with {@code pretendCleanRestarts} (a negative control) every restart pretends the
   * validator stopped cleanly, so a replica that lost unsynced votes does not abstain.
   */
  static Outcome run(long seed, boolean pretendCleanRestarts) {
    return run(seed, pretendCleanRestarts, true, true, true);
  }

  /** As {@link #run(long, boolean)}; {@code checkVotes} false also turns the "never votes two ways" invariant off. */
  static Outcome run(long seed, boolean pretendCleanRestarts, boolean checkVotes) {
    return run(seed, pretendCleanRestarts, checkVotes, true, true);
  }

  /**
   * As {@link #run(long, boolean, boolean)}; {@code checkEvidence} false also lets equivocation
   * proofs against honest validators pass (what remains: agreement, integrity, order, liveness).
   */
  static Outcome run(long seed, boolean pretendCleanRestarts, boolean checkVotes, boolean checkEvidence,
      boolean allowLazy) {
    SplittableRandom plan = new SplittableRandom(seed ^ 0x5DEECE66DL);
    // Drawn apart from the plan, so that the rest of a seed's scenario is what it was before.
    SplittableRandom durability = new SplittableRandom(seed * 31 + 17);
    boolean lazy = durability.nextInt(4) != 0 && allowLazy;
    PowerLoss powerLoss = PowerLoss.values()[durability.nextInt(PowerLoss.values().length)];
    int n = plan.nextBoolean() ? 4 : 7;
    int f = (n - 1) / 3;
    Behavior[] behavior = new Behavior[n];
    Arrays.fill(behavior, Behavior.HONEST);
    int byzantine = plan.nextInt(f + 1);
    Behavior[] kinds = {Behavior.EQUIVOCATE, Behavior.WITHHOLD, Behavior.RANDOM_VOTES, Behavior.GARBAGE,
        Behavior.TWINS, Behavior.NEVER_CERTIFY, Behavior.CERTIFY_ALL, Behavior.JUNK_COMMIT_SIGNATURES,
        Behavior.SIGN_UNCERTIFIED, Behavior.SPLIT_CERTIFY};
    List<Behavior> chosen = new ArrayList<>();
    for (int k = 0; k < byzantine; k++) {
      int who;
      do {
        who = plan.nextInt(n);
      } while (behavior[who] != Behavior.HONEST);
      Behavior b = kinds[plan.nextInt(kinds.length)];
      if (b == Behavior.TWINS && chosen.contains(Behavior.TWINS)) {
        b = Behavior.EQUIVOCATE;
      }
      behavior[who] = b;
      chosen.add(b);
    }
    int k = new int[] {2, 4, 8}[plan.nextInt(3)];
    int w = new int[] {1, 2, 4, 8}[plan.nextInt(4)];
    int txMax = new int[] {1, 3, 10}[plan.nextInt(3)];
    Cluster c = Cluster.of(seed, behavior,
        cfg -> cfg.withPipeline(k, w).withBlocks(txMax, 1 << 20, 0).withLazyVoteSync(lazy));
    // Drawn apart from the plan too: every Byzantine validator (but a twin) of one run in three lies about
    // view-change blocks, on top of its behaviour.
    ViewChangeLie lie = ViewChangeLie.values()[new SplittableRandom(seed * 131 + 29).nextInt(3)];
    for (int i = 0; i < n; i++) {
      if (behavior[i] != Behavior.HONEST && behavior[i] != Behavior.TWINS) {
        c.lies[i] = lie;
      }
    }
    c.powerLoss = powerLoss;
    c.pretendCleanRestarts = pretendCleanRestarts;
    c.checkVotes = checkVotes;
    c.checkEvidence = checkEvidence;
    boolean drops = plan.nextBoolean();
    boolean partitions = plan.nextInt(3) == 0;
    boolean crashes = plan.nextInt(3) == 0;
    long delayMax = new long[] {5, 50, 200}[plan.nextInt(3)];
    c.network(new NetFaults(drops ? plan.nextDouble() * 0.2 : 0, plan.nextInt(3) == 0 ? plan.nextDouble() * 0.1 : 0,
        1, delayMax));
    c.crashAfterPersistRate = crashes && plan.nextBoolean() ? 0.01 : 0;
    c.crashAfterUnsyncedSendRate = crashes && lazy ? 0.02 : 0;
    if (Arrays.asList(behavior).contains(Behavior.TWINS)) {
      splitForTwins(c, plan); // each copy of the twin is honest towards its own side
    }
    int faultTicks = 100 + plan.nextInt(300);
    int txCount = 5 + plan.nextInt(20);
    long partitionEvents = 0;
    boolean[] wiped = new boolean[n];
    int wipedCount = 0;
    for (int t = 0; t < faultTicks; t++) {
      if (plan.nextInt(faultTicks) < txCount) {
        // Now and then a client burst: the leader has more than one block's worth pooled, so the
        // blocks before the last of the burst are not certified (unless K divides their height).
        int to = plan.nextInt(n);
        int burst = plan.nextInt(4) == 0 ? 2 + plan.nextInt(7) : 1;
        for (int b = 0; b < burst; b++) {
          c.submit(to);
        }
      }
      if (crashes && plan.nextInt(60) == 0) {
        int who = plan.nextInt(n);
        if (behavior[who] == Behavior.HONEST) {
          c.crash(who);
        }
      }
      if (crashes && plan.nextInt(40) == 0) {
        int who = plan.nextInt(n);
        // An empty data directory forgets the votes cast: PBFT counts that amnesia as a fault, so
        // only validators within the fault budget (f minus the Byzantine ones) are ever wiped.
        boolean wipe = plan.nextInt(4) == 0 && (wiped[who] || wipedCount < f - byzantine);
        if (wipe && c.hosts[who][0].up()) {
          wipe = false; // only a crashed validator restarts: a running one keeps its data directory and the budget
        }
        if (wipe && !wiped[who]) {
          wiped[who] = true;
          wipedCount++;
        }
        c.restart(who, wipe);
      }
      if (partitions && plan.nextInt(50) == 0) {
        boolean[] side = new boolean[n];
        for (int i = 0; i < n; i++) {
          side[i] = plan.nextBoolean();
        }
        c.partition(side);
        partitionEvents++;
      }
      if (partitions && plan.nextInt(70) == 0) {
        c.heal();
      }
      c.tick(1);
    }
    // Faults stop: the network is calm and whole, every crashed validator restarts, clients retry.
    c.network(NetFaults.CALM);
    c.heal(); // a healed network leaves the second copy of a Twins validator talking to nobody
    c.crashAfterPersistRate = 0;
    c.crashAfterUnsyncedSendRate = 0;
    for (int i = 0; i < n; i++) {
      c.restart(i, false);
    }
    int waited = 0;
    while (!c.allCommitted()) {
      if (waited >= LIVENESS_TICKS) {
        throw c.fail("LIVENESS: " + pending(c) + " not committed " + LIVENESS_TICKS + " ticks after faults stopped; "
            + state(c), null);
      }
      if (waited % 100 == 0) {
        retry(c, plan);
      }
      c.tick(1);
      waited++;
    }
    long maxView = 0;
    long viewChanges = 0;
    long transfers = 0;
    long transfersAfterPeerLoss = 0;
    long transferred = 0;
    long onMatching = 0;
    long crashCount = 0;
    long restarts = 0;
    long wipes = 0;
    long syncs = 0;
    long lostBatches = 0;
    long abstentions = 0;
    long vcFetched = 0;
    for (SimHost[] copies : c.hosts) {
      for (SimHost h : copies) {
        syncs += h.syncs;
        lostBatches += h.lostBatches;
        abstentions += h.abstentions;
        vcFetched += h.viewChangeBlocksFetched();
        maxView = Math.max(maxView, h.replica.view());
        viewChanges += h.viewChanges();
        transfers += h.transfers();
        transfersAfterPeerLoss += h.transfersAfterPeerLoss();
        transferred += h.transferredBlocks();
        onMatching += h.transfersOnMatchingPeers();
        crashCount += h.crashes;
        restarts += h.restarts;
        wipes += h.wipes;
      }
    }
    // Quiesced: every honest chain's tail above its newest certified block is below K blocks (checked
    // after every commit too); count the heads left without a certificate of their own.
    long uncertifiedHeads = 0;
    for (int i = 0; i < n; i++) {
      if (behavior[i] == Behavior.HONEST) {
        int tail = Cluster.uncertifiedTail(c.hosts[i][0]);
        c.check(tail < k, "validator " + i + " ends with " + tail + " blocks without signatures, K = " + k);
        uncertifiedHeads += tail > 0 ? 1 : 0;
      }
    }
    long height = 0;
    String headHash = "";
    for (int i = 0; i < n; i++) {
      if (c.height(i) > height) {
        height = c.height(i);
        headHash = java.util.HexFormat.of().formatHex(c.hosts[i][0].head.hash().bytes().toByteArray());
      }
    }
    return new Outcome(seed, n, chosen, c.ticks, maxView, viewChanges, transfers, transfersAfterPeerLoss, transferred,
        crashCount, restarts, wipes, c.crashesAfterPersist, partitionEvents, c.net.sent, c.net.dropped,
        c.net.duplicated, c.net.delayed, c.net.reordered, c.garbageSent, c.equivocationsProved, c.submitted.size(),
        height, headHash, waited, c.drops(), c.certifiedCommits, c.uncertifiedCommits, onMatching,
        uncertifiedHeads, lazy, powerLoss, syncs, lostBatches, abstentions,
        c.crashesAfterUnsyncedSend, c.votesChecked, byzantine > 0 ? lie : ViewChangeLie.NONE, c.viewChangeLies,
        vcFetched);
  }

  /**
   * Splits the validators in two so that each side holds at least one honest validator: each copy
   * of a Twins validator then talks to (and is honest towards) a different, non-empty side.
   */
  private static void splitForTwins(Cluster c, SplittableRandom plan) {
    boolean[] side = new boolean[c.n];
    boolean a;
    boolean b;
    do {
      a = false;
      b = false;
      for (int i = 0; i < c.n; i++) {
        side[i] = plan.nextBoolean();
        if (c.behavior[i] == Behavior.HONEST) {
          a |= !side[i];
          b |= side[i];
        }
      }
    } while (!a || !b);
    c.partition(side);
  }

  /** Clients re-send what has not committed to a random honest validator. */
  private static void retry(Cluster c, SplittableRandom plan) {
    List<Integer> honest = new ArrayList<>();
    for (int i = 0; i < c.n; i++) {
      if (c.behavior[i] == Behavior.HONEST) {
        honest.add(i);
      }
    }
    int to = honest.get(plan.nextInt(honest.size()));
    for (ParsedTx t : c.pendingAt(to)) {
      c.resubmit(t, to);
    }
  }

  private static String pending(Cluster c) {
    int count = 0;
    for (int i = 0; i < c.n; i++) {
      if (c.behavior[i] == Behavior.HONEST) {
        count = Math.max(count, c.pendingAt(i).size());
      }
    }
    return count + " transaction(s)";
  }

  static String state(Cluster c) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < c.n; i++) {
      for (SimHost h : c.hosts[i]) {
        sb.append("\n    ").append(c.behavior[i]).append(' ').append(h).append(" height ").append(h.head.height());
      }
    }
    sb.append("\n    drops ").append(c.drops());
    return sb.toString();
  }
}
