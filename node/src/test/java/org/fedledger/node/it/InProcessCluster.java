package org.fedledger.node.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.fedledger.node.Ports;
import org.fedledger.node.cli.TestnetLayout;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.node.exec.Validator;

/**
 * Four validators in this JVM (real Netty, gRPC, RocksDB on loopback) for tests where no
 * process must die; a validator can still be closed cleanly and started again.
 */
final class InProcessCluster implements AutoCloseable {
  final TestnetLayout layout;
  final List<Validator> validators = new ArrayList<>();
  private final boolean metrics;

  InProcessCluster(Path dir, String chainId) {
    this(dir, chainId, false);
  }

  /** With {@code metrics}, each validator serves /metrics on the layout's metrics address. */
  InProcessCluster(Path dir, String chainId, boolean metrics) {
    this.metrics = metrics;
    layout = TestnetLayout.create(dir, 4, chainId, "127.0.0.1", Ports.freeBase(4), 0);
    try {
      for (int i = 0; i < 4; i++) {
        validators.add(null);
        start(i);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  int rpcPort(int i) {
    return layout.basePort() + 100 + i;
  }

  int metricsPort(int i) {
    return validators.get(i).metricsPort();
  }

  /** Starts validator {@code i} from its config file (again, after {@link #stop}). */
  void start(int i) {
    validators.set(i, Validator.start(NodeConfigFile.load(layout.config(i),
        metrics ? Map.of() : Map.of("metrics.listen", ""))));
  }

  /** Shuts validator {@code i} down cleanly. */
  void stop(int i) {
    validators.get(i).close();
  }

  /** Deletes validator {@code i}'s data directory (it must be stopped). */
  void wipeData(int i) throws IOException {
    Path data = layout.nodeDir(i).resolve("data");
    try (Stream<Path> s = Files.walk(data)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Override
  public void close() {
    validators.stream().filter(Objects::nonNull).forEach(Validator::close);
  }
}
