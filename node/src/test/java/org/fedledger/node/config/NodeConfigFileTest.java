package org.fedledger.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigFileTest {
  @TempDir
  Path dir;

  private Path write(String text) throws Exception {
    Path p = dir.resolve("node.properties");
    Files.writeString(p, text);
    return p;
  }

  @Test
  void emptyFileGivesDefaultsResolvedAgainstTheFilesDirectory() throws Exception {
    NodeConfig c = NodeConfigFile.load(write("# nothing\n"), Map.of());
    assertThat(c.files().genesisFile()).isEqualTo(dir.toAbsolutePath().resolve("genesis.json"));
    assertThat(c.files().dataDir()).isEqualTo(dir.toAbsolutePath().resolve("data"));
    assertThat(c.consensus()).isEqualTo(NodeConfig.Consensus.defaults());
    assertThat(c.limits()).isEqualTo(NodeConfig.Limits.defaults());
    assertThat(c.listen().metricsListen()).isEmpty();
  }

  @Test
  void valuesAndOverridesAreRead() throws Exception {
    Path p = write("genesis.file = ../g.json\nconsensus.tick_millis = 20\nmetrics.listen = 127.0.0.1:9100\n");
    NodeConfig c = NodeConfigFile.load(p, Map.of("consensus.tick_millis", "25", "data.dir", "/var/x"));
    assertThat(c.files().genesisFile()).isEqualTo(dir.toAbsolutePath().getParent().resolve("g.json"));
    assertThat(c.files().dataDir()).isEqualTo(Path.of("/var/x"));
    assertThat(c.consensus().tickMillis()).isEqualTo(25);
    assertThat(c.listen().metricsListen()).isEqualTo("127.0.0.1:9100");
  }

  @Test
  void unknownKeyIsNamedWithThePath() throws Exception {
    Path p = write("consensus.tick_milis = 20\n");
    assertThatThrownBy(() -> NodeConfigFile.load(p, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("unknown key 'consensus.tick_milis'");
  }

  @Test
  void badValuesNameTheKey() throws Exception {
    Path p = write("consensus.tick_millis = soon\nrpc.listen = localhost\nlimits.mempool_tx_max = 0\n"
        + "data.sync_commits = yes\n");
    assertThatThrownBy(() -> NodeConfigFile.load(p, Map.of()))
        .hasMessageContaining("key 'consensus.tick_millis' must be an integer, got 'soon'")
        .hasMessageContaining(p.toString());
    Path q = write("rpc.listen = localhost\nlimits.mempool_tx_max = 0\n");
    assertThatThrownBy(() -> NodeConfigFile.load(q, Map.of()))
        .hasMessageContaining("key 'rpc.listen': expected host:port, got 'localhost'")
        .hasMessageContaining("key 'limits.mempool_tx_max' must be > 0, got 0");
  }

  @Test
  void voteDurabilityDefaultsToFsyncAndIsStrict() throws Exception {
    assertThat(NodeConfigFile.load(write("\n"), Map.of()).files().syncVotes()).isTrue();
    assertThat(NodeConfigFile.load(write("data.sync_votes = false\n"), Map.of()).files().syncVotes()).isFalse();
    Path p = write("data.sync_votes = ture\n");
    assertThatThrownBy(() -> NodeConfigFile.load(p, Map.of()))
        .hasMessageContaining("data.sync_votes")
        .hasMessageContaining(p.toString());
  }

  @Test
  void missingFileSaysSo() {
    Path p = dir.resolve("absent.properties");
    assertThatThrownBy(() -> NodeConfigFile.load(p, Map.of()))
        .hasMessage("config file " + p + " does not exist");
  }

  @Test
  void renderedFileReadsBack() throws Exception {
    Path p = write(NodeConfigFile.render("a comment\nsecond line", Map.of("data.dir", "d", "peer.listen", "0.0.0.0:1")));
    NodeConfig c = NodeConfigFile.load(p, Map.of());
    assertThat(c.files().dataDir()).isEqualTo(dir.toAbsolutePath().resolve("d"));
    assertThat(c.listen().peerListen()).isEqualTo("0.0.0.0:1");
  }

  @Test
  void hostPortParsesAndRefuses() {
    assertThat(HostPort.parse("127.0.0.1:26600")).isEqualTo(new HostPort("127.0.0.1", 26600));
    assertThat(HostPort.parse("[::1]:5").host()).isEqualTo("::1");
    assertThatThrownBy(() -> HostPort.parse("h:0")).hasMessageContaining("port must be 1..65535");
    assertThatThrownBy(() -> HostPort.parse(":80")).hasMessageContaining("expected host:port");
  }
}
