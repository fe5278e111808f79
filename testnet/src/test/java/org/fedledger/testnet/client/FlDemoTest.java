package org.fedledger.testnet.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.testnet.FlDemoAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's client loop over real gRPC (loopback) against the real contracts. */
class FlDemoTest {
  @TempDir
  Path dir;

  @Test
  void hospitalsLearnOverGrpcAndTheAttackersAreSuspended() throws Exception {
    KeyPair admin = org.fedledger.ledger.crypto.Ed25519.fromSeed(new byte[32]);
    KeyFile.write(dir.resolve("admin.key"), admin);
    try (MemoryNode node = new MemoryNode(admin)) {
      String[] args = {"--rpc", node.address(), "--admin-key", dir.resolve("admin.key").toString(),
          "--keys-dir", dir.resolve("keys").toString(), "--hospitals", "8", "--attackers", "2",
          "--attack", "sign_flip", "--rounds", "6"};
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      int code = FlDemoAccess.run(new PrintStream(buf, true, StandardCharsets.UTF_8), args);
      String out = buf.toString(StandardCharsets.UTF_8);
      System.out.print(out);
      assertThat(code).as(out).isZero();
      assertThat(out).contains("created task wdbc-demo").contains("round   6  model v6");
      assertThat(out.lines().filter(l -> l.contains("attacker-") && l.contains("SUSPENDED")).count())
          .as(out).isGreaterThanOrEqualTo(2);
      assertThat(out.lines().filter(l -> l.contains("hospital-") && l.contains("SUSPENDED")).count()).isZero();
      String last = out.lines().filter(l -> l.startsWith("round   6")).findFirst().orElseThrow();
      double accuracy = Double.parseDouble(last.replaceAll(".*accuracy ([0-9.]+).*", "$1"));
      assertThat(accuracy).isGreaterThan(0.9);

      // A second run continues the same task with the same hospital keys.
      ByteArrayOutputStream again = new ByteArrayOutputStream();
      String[] more = args.clone();
      more[more.length - 1] = "1";
      assertThat(FlDemoAccess.run(new PrintStream(again, true, StandardCharsets.UTF_8), more)).isZero();
      assertThat(again.toString(StandardCharsets.UTF_8)).contains("continuing at round 7").contains("round   7");
    }
  }
}
