package org.fedledger.node.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedledger.node.Ports;
import org.fedledger.node.cli.TestnetLayout;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.node.exec.Validator;

/** Four validators in this JVM (real Netty, gRPC, RocksDB on loopback) for tests where no process must die. */
final class InProcessCluster implements AutoCloseable {
  final TestnetLayout layout;
  final List<Validator> validators = new ArrayList<>();

  InProcessCluster(Path dir, String chainId) {
    layout = TestnetLayout.create(dir, 4, chainId, "127.0.0.1", Ports.freeBase(4), 0);
    try {
      for (int i = 0; i < 4; i++) {
        validators.add(Validator.start(NodeConfigFile.load(layout.config(i), Map.of("metrics.listen", ""))));
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  int rpcPort(int i) {
    return validators.get(i).rpcPort();
  }

  @Override
  public void close() {
    validators.forEach(Validator::close);
  }
}
