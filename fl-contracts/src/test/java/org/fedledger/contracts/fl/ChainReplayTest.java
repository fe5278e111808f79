package org.fedledger.contracts.fl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The same randomised FL blocks (1,000 closed rounds under every rule, with ties, copies,
 * extreme values and garbage) give the same state root after every block in this JVM and in
 * a child JVM that runs without the C2 compiler.
 */
class ChainReplayTest {
  static final int ROUNDS = 1000;
  static final long SEED = 17L;

  @Test
  void sameStateRootsInTwoJvms() throws Exception {
    ChainReplay.Outcome here = ChainReplay.run(ROUNDS, SEED);
    assertThat(here.closedRounds()).isGreaterThanOrEqualTo(ROUNDS);
    assertThat(ChainReplay.run(ROUNDS, SEED + 1).digest()).isNotEqualTo(here.digest());

    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process child = new ProcessBuilder(List.of(java, "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), ChainReplay.class.getName(), Integer.toString(ROUNDS),
        Long.toString(SEED))).redirectErrorStream(true).start();
    assertThat(child.waitFor(180, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(child.exitValue()).as(out).isZero();
    assertThat(out).isEqualTo(here.digest());
    System.out.printf("ChainReplayTest: %d blocks, %d rounds closed, digest %s%n", here.blocks(),
        here.closedRounds(), here.digest());
  }
}
