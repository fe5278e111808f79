package org.fedledger.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.node.config.NodeConfig;
import org.fedledger.node.config.NodeConfigFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FedledgerTest {
  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream oldOut;
  private PrintStream oldErr;

  @BeforeEach
  void capture() {
    oldOut = System.out;
    oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(oldOut);
    System.setErr(oldErr);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void testnetInitWritesALoadableNetwork() throws Exception {
    Path net = dir.resolve("net");
    assertThat(Fedledger.run("testnet", "init", "--dir", net.toString(), "--base-port", "31000")).isZero();
    Chain chain = GenesisFile.load(net.resolve("genesis.json"));
    assertThat(chain.validatorCount()).isEqualTo(4);
    assertThat(chain.genesis().getAdminsCount()).isEqualTo(1);
    for (int i = 0; i < 4; i++) {
      NodeConfig c = NodeConfigFile.load(net.resolve("node" + i + "/node.properties"), Map.of());
      assertThat(c.files().genesisFile()).isEqualTo(net.resolve("genesis.json").toAbsolutePath().normalize());
      assertThat(KeyFile.read(c.files().keyFile()).publicKey()).isEqualTo(chain.validators().get(i).getPublicKey());
      assertThat(Files.getPosixFilePermissions(c.files().keyFile()))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      assertThat(chain.validators().get(i).getRpcAddress()).isEqualTo("127.0.0.1:" + (31100 + i));
      assertThat(c.listen().metricsListen()).isEqualTo("127.0.0.1:" + (31200 + i));
    }
    assertThat(out()).contains("testnet of 4 validators");
    // a second init into the same directory is refused and says why
    assertThat(Fedledger.run("testnet", "init", "--dir", net.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(net + " is not empty");
  }

  @Test
  void testnetInitRefusesAValidatorCountThatIsNot3fPlus1() {
    assertThat(Fedledger.run("testnet", "init", "--dir", dir.resolve("x").toString(), "-n", "3")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--validators must be 3f+1");
  }

  @Test
  void keygenWritesAKeyFileAndPrintsThePublicKey() {
    Path key = dir.resolve("k.key");
    assertThat(Fedledger.run("keygen", "--out", key.toString())).isZero();
    assertThat(out().trim()).isEqualTo(org.fedledger.ledger.crypto.Keys.hex(KeyFile.read(key).publicKey()));
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] cmd : new String[][] {{"--help"}, {"node", "--help"}, {"keygen", "--help"}, {"testnet", "--help"},
        {"testnet", "init", "--help"}, {"help", "submit"},
        {"submit", "--help"}, {"status", "--help"}, {"block", "--help"}, {"receipt", "--help"}}) {
      out.reset();
      assertThat(Fedledger.run(cmd)).as(String.join(" ", cmd)).isZero();
      assertThat(out()).contains("Usage: fedledger");
    }
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void nodeWithAMissingConfigFileNamesItsPath() {
    Path absent = dir.resolve("absent.properties");
    assertThat(Fedledger.run("node", "--config", absent.toString())).isEqualTo(2);
    assertThat(err()).contains("error: config file " + absent + " does not exist");
  }

  @Test
  void nodeWithABadConfigFileNamesItsPathAndTheField() throws Exception {
    Path bad = dir.resolve("bad.properties");
    Files.writeString(bad, "consensus.tick_millis = soon\nconsensus.windw_blocks = 4\n");
    assertThat(Fedledger.run("node", "--config", bad.toString())).isEqualTo(2);
    assertThat(err()).contains(bad.toString()).contains("key 'consensus.tick_millis' must be an integer, got 'soon'")
        .contains("unknown key 'consensus.windw_blocks'");
  }

  @Test
  void nodeWithAMissingGenesisOrKeyFileNamesThatFile() throws Exception {
    Path net = dir.resolve("net");
    assertThat(Fedledger.run("testnet", "init", "--dir", net.toString(), "--base-port", "31000")).isZero();
    Path config = net.resolve("node0/node.properties");
    Files.delete(net.resolve("genesis.json"));
    assertThat(Fedledger.run("node", "--config", config.toString(), "--set", "metrics.listen=")).isNotZero();
    assertThat(err()).contains("genesis file " + net.resolve("genesis.json").toAbsolutePath().normalize());
    err.reset();
    Files.writeString(net.resolve("genesis.json"), "{\"chain_id\": 5,");
    assertThat(Fedledger.run("node", "--config", config.toString(), "--set", "metrics.listen=")).isNotZero();
    assertThat(err()).contains("genesis file " + net.resolve("genesis.json").toAbsolutePath().normalize());
  }

  @Test
  void statusOfAnUnreachableNodeSaysDown() {
    // connection refused (UNAVAILABLE), or the deadline first on a loaded machine: both are DOWN
    assertThat(Fedledger.run("status", "--timeout-ms", "5000", "127.0.0.1:1")).isEqualTo(3);
    assertThat(out()).containsPattern("127\\.0\\.0\\.1:1  DOWN \\((UNAVAILABLE|DEADLINE_EXCEEDED)\\)");
  }
}
