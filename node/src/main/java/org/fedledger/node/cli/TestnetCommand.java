package org.fedledger.node.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedledger testnet}: local multi-validator networks. */
@Command(name = "testnet", mixinStandardHelpOptions = true, description = "Local test networks.",
    subcommands = {TestnetCommand.Init.class})
final class TestnetCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a sub-command is required (init)");
  }

  /** {@code fedledger testnet init}. */
  @Command(name = "init", mixinStandardHelpOptions = true,
      description = {"Create keys, a genesis file and one config file per validator on loopback ports.",
          "Layout: DIR/genesis.json, DIR/admin.key, DIR/node<i>/{node.properties,validator.key}."})
  static final class Init implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = ".testnet", description = "Directory to create (default: ${DEFAULT-VALUE}); must be empty or absent.")
    Path dir;

    @Option(names = {"-n", "--validators"}, defaultValue = "4", description = "Number of validators, 3f+1 (default: ${DEFAULT-VALUE}).")
    int validators;

    @Option(names = "--chain-id", defaultValue = "fedledger-testnet", description = "Chain id (default: ${DEFAULT-VALUE}).")
    String chainId;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Host of every address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--base-port", defaultValue = "26600",
        description = "Peer ports start here, gRPC ports at +100, metrics at +200 (default: ${DEFAULT-VALUE}).")
    int basePort;

    @Option(names = "--block-tx-max", defaultValue = "0", description = "Genesis block_tx_max; 0 = the chain default.")
    int blockTxMax;

    @Override
    public Integer call() {
      TestnetLayout layout = TestnetLayout.create(dir, validators, chainId, host, basePort, blockTxMax);
      System.out.println("testnet of " + validators + " validators in " + layout.dir().toAbsolutePath());
      for (int i = 0; i < validators; i++) {
        System.out.println("  node" + i + ": config " + layout.config(i) + ", gRPC " + layout.rpcAddress(i));
      }
      System.out.println("  admin key: " + layout.adminKey());
      return 0;
    }
  }
}
