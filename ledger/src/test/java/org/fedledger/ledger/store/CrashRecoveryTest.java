package org.fedledger.ledger.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of {@link LedgerStore}: a child JVM ({@link CrashChild}) commits blocks with
 * transactions, receipts and state writes in a loop and is killed with SIGKILL at seeded
 * random moments (sometimes while it is still opening the store, usually while it commits).
 * After each kill the store is reopened here and must be a consistent chain
 * ({@link StoreChecks#checkConsistent}) holding at least every block the child saw committed;
 * the next child continues from that head.
 *
 * <p>{@code -Dledger.crash.kills=N} and {@code -Dledger.crash.seed=S} change the run.
 */
class CrashRecoveryTest {
  @TempDir Path dir;

  @Test
  void survivesSigkillAtRandomMoments() throws Exception {
    int kills = Integer.getInteger("ledger.crash.kills", 22);
    long seed = Long.getLong("ledger.crash.seed", 20261124L);
    SplittableRandom random = new SplittableRandom(seed);
    Path data = dir.resolve("ledger");
    long head = -1;
    List<String> log = new ArrayList<>();
    int early = 0;
    for (int k = 0; k < kills; k++) {
      Path stderr = dir.resolve("child-" + k + ".err");
      Process child = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
          "-Xmx256m", CrashChild.class.getName(), data.toString())
          .redirectError(stderr.toFile())
          .start();
      AtomicLong lastCommitted = new AtomicLong(-1);
      CountDownLatch committing = new CountDownLatch(1);
      Thread reader = new Thread(() -> readLines(child, lastCommitted, committing), "crash-child-out-" + k);
      reader.start();
      boolean atStart = random.nextInt(6) == 0;
      if (atStart) {
        early++;
        Thread.sleep(random.nextInt(200, 1500));
      } else {
        assertThat(committing.await(60, TimeUnit.SECONDS)).as("child %d commits blocks", k).isTrue();
        Thread.sleep(random.nextInt(0, 250));
      }
      assertThat(child.isAlive()).as("child %d is still running before the kill; stderr: %s", k,
          Files.readString(stderr)).isTrue();
      child.destroyForcibly();
      child.waitFor();
      reader.join();

      try (LedgerStore store = LedgerStore.open(data, ChainDriver.CHAIN.genesisHash(), Durability.SYNC)) {
        long reopened = StoreChecks.checkConsistent(store);
        assertThat(reopened).as("kill %d: every block the child saw committed survives", k)
            .isGreaterThanOrEqualTo(lastCommitted.get()).isGreaterThanOrEqualTo(head);
        if (reopened > 0) {
          assertThat(store.consensusLog().get(CrashChild.CONSENSUS_HEAD))
              .as("kill %d: the consensus record written with the last batch names its head", k)
              .contains(CrashChild.height(reopened));
        }
        log.add((atStart ? "early " : "") + "kill " + k + ": child saw " + lastCommitted.get() + ", reopened at " + reopened);
        head = reopened;
      }
    }
    System.out.println("crash test (seed " + seed + "): " + kills + " SIGKILLs (" + early
        + " of them 0.2-1.5 s after the child JVM started, the rest 0-250 ms after its first commit), final head " + head + "\n  " + String.join("\n  ", log));
    assertThat(head).as("the children made progress").isGreaterThan(kills);
    assertThat(kills - early).as("kills while committing").isGreaterThanOrEqualTo(kills / 2);
  }

  /** Follows the child's output; counts {@code committing} down at its first commit after opening the store. */
  private static void readLines(Process child, AtomicLong lastCommitted, CountDownLatch committing) {
    boolean open = false;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith("committed ")) {
          lastCommitted.set(Long.parseLong(line.substring("committed ".length())));
          if (open) {
            committing.countDown();
          }
        } else if (line.startsWith("open ")) {
          open = true;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // the child was killed mid-line: what was read so far stands
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
