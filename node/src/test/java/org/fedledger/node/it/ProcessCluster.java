package org.fedledger.node.it;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedledger.node.Clients;
import org.fedledger.node.Ports;
import org.fedledger.node.cli.TestnetLayout;
import org.fedledger.proto.api.NodeStatus;

/**
 * A testnet of validators, each a child JVM started from the test classpath with
 * {@code fedledger node}, so that a test can {@code kill -9} one and restart it. Logs go to
 * {@code node<i>/node.log} in the testnet directory.
 */
final class ProcessCluster implements AutoCloseable {
  final TestnetLayout layout;
  final int n;
  private final Process[] processes;
  private final ManagedChannel[] channels;
  private final List<String> extraConfig;

  ProcessCluster(Path dir, int n, String chainId, List<String> extraConfig) {
    this.n = n;
    this.layout = TestnetLayout.create(dir, n, chainId, "127.0.0.1", Ports.freeBase(n), 0);
    this.processes = new Process[n];
    this.channels = new ManagedChannel[n];
    this.extraConfig = List.copyOf(extraConfig);
    for (int i = 0; i < n; i++) {
      channels[i] = Clients.channel(rpcPort(i));
    }
  }

  int rpcPort(int i) {
    return layout.basePort() + 100 + i;
  }

  ManagedChannel channel(int i) {
    return channels[i];
  }

  /** Starts validator {@code i} as a child JVM. */
  void start(int i) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        "org.fedledger.node.cli.Fedledger", "node", "--config", layout.config(i).toString(),
        "--set", "metrics.listen="));
    for (String kv : extraConfig) {
      cmd.add("--set");
      cmd.add(kv);
    }
    try {
      processes[i] = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(layout.nodeDir(i).toFile(), "node.log")))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void startAll() {
    for (int i = 0; i < n; i++) {
      start(i);
    }
    for (int i = 0; i < n; i++) {
      int v = i;
      Clients.await("validator " + v + " serving", 60_000, () -> status(v).isPresent());
    }
  }

  /** {@code kill -9} of validator {@code i}; waits until it is gone. */
  void kill(int i) throws InterruptedException {
    processes[i].destroyForcibly();
    processes[i].waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM; waits for the clean shutdown; returns the exit code. */
  int terminate(int i) throws InterruptedException {
    processes[i].destroy();
    if (!processes[i].waitFor(30, TimeUnit.SECONDS)) {
      processes[i].destroyForcibly();
      throw new AssertionError("validator " + i + " did not stop within 30 s of SIGTERM");
    }
    return processes[i].exitValue();
  }

  boolean alive(int i) {
    return processes[i] != null && processes[i].isAlive();
  }

  /** Deletes validator {@code i}'s data directory (it must be stopped). */
  void wipeData(int i) throws IOException {
    Path data = layout.nodeDir(i).resolve("data");
    if (!Files.exists(data)) {
      return;
    }
    try (Stream<Path> s = Files.walk(data)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The status of validator {@code i}, empty when it does not answer. */
  Optional<NodeStatus> status(int i) {
    try {
      return Optional.of(Clients.status(channels[i]));
    } catch (StatusRuntimeException e) {
      return Optional.empty();
    }
  }

  /** The log of validator {@code i} (for failure messages). */
  String log(int i) {
    try {
      List<String> lines = Files.readAllLines(layout.nodeDir(i).resolve("node.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (int i = 0; i < n; i++) {
      if (alive(i)) {
        processes[i].destroy();
      }
    }
    for (int i = 0; i < n; i++) {
      try {
        if (processes[i] != null && !processes[i].waitFor(20, TimeUnit.SECONDS)) {
          processes[i].destroyForcibly();
        }
      } catch (InterruptedException e) {
        processes[i].destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
