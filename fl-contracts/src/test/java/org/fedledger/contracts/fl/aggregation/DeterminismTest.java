package org.fedledger.contracts.fl.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The same 1,000 randomised rounds hash the same in this JVM, again, and in a child JVM. */
class DeterminismTest {
  static final int ROUNDS = 1000;
  static final long SEED = 20171204L;

  @Test
  void sameHashTwiceInProcessAndInAChildJvm() throws Exception {
    String here = DeterminismSoak.run(ROUNDS, SEED);
    assertThat(DeterminismSoak.run(ROUNDS, SEED)).isEqualTo(here);
    assertThat(DeterminismSoak.run(ROUNDS, SEED + 1)).isNotEqualTo(here);

    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    // -Xint: the child interprets while this JVM has JIT-compiled the loops: the bits must not care.
    Process child = new ProcessBuilder(List.of(java, "-Xint", "-cp", System.getProperty("java.class.path"),
        DeterminismSoak.class.getName(), Integer.toString(ROUNDS), Long.toString(SEED)))
        .redirectErrorStream(true).start();
    assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(child.exitValue()).as(out).isZero();
    assertThat(out).isEqualTo(here);
  }
}
