package org.fedledger.node.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.fedledger.node.config.NodeConfig;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.node.exec.Validator;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedledger node}: runs one validator until SIGTERM / SIGINT. */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = {"Run one validator until SIGTERM or Ctrl-C, which shut it down cleanly.",
        "Every key of the config file (see node/README.md) can be overridden with --set key=value."})
final class NodeCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, description = "The node's config file (node.properties).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set data.dir=/tmp/d.")
  Map<String, String> overrides = new TreeMap<>();

  @Option(names = "--data-dir", description = "Shorthand for --set data.dir=DIR.")
  Path dataDir;

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> o = new TreeMap<>(overrides);
    if (dataDir != null) {
      o.put("data.dir", dataDir.toAbsolutePath().toString());
    }
    NodeConfig c = NodeConfigFile.load(config, o);
    Validator v = Validator.start(c);
    Thread hook = new Thread(() -> {
      v.close();
      // flush and stop logging last, so the shutdown lines reach the log
      if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc) {
        lc.stop();
      }
    }, "fedledger-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    v.awaitTermination();
    return v.failed() ? 1 : 0;
  }
}
