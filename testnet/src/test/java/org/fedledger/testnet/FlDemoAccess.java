package org.fedledger.testnet;

import java.io.PrintStream;
import picocli.CommandLine;

/** Runs {@link FlDemo} with its output to {@code out}, for tests. */
public final class FlDemoAccess {
  private FlDemoAccess() {}

  /** The demo's exit code. */
  public static int run(PrintStream out, String... args) {
    return new CommandLine(new FlDemo(out)).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }
}
