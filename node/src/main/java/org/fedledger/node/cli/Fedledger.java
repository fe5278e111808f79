package org.fedledger.node.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code fedledger} command: run a validator, create keys and a local testnet, and talk to
 * a validator's gRPC API. {@code java -jar node/target/fedledger.jar --help}.
 */
@Command(name = "fedledger", mixinStandardHelpOptions = true, versionProvider = Fedledger.Version.class,
    description = "FedLedger: a permissioned PBFT ledger whose contracts run federated learning.",
    subcommands = {
        NodeCommand.class, KeygenCommand.class, TestnetCommand.class,
        SubmitCommand.class, StatusCommand.class, BlockCommand.class, ReceiptCommand.class,
        CommandLine.HelpCommand.class})
public final class Fedledger implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (for tests). */
  public static int run(String... args) {
    return new CommandLine(new Fedledger())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println(cmd.getColorScheme().errorText("error: " + message(e)));
          return e instanceof IllegalArgumentException ? 2 : 1;
        })
        .execute(args);
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null ? e.toString() : m;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a sub-command is required");
  }

  /** The software version (from the jar manifest when packaged). */
  public static final class Version implements CommandLine.IVersionProvider {
    /** The version string. */
    @Override
    public String[] getVersion() {
      return new String[] {"fedledger " + org.fedledger.node.exec.Validator.version()};
    }
  }
}
