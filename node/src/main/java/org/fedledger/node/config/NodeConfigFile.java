package org.fedledger.node.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads a node's config file: Java properties syntax ({@code key = value}, {@code #} comments),
 * UTF-8. Every key is optional; a missing key takes the default written beside its field in
 * {@link NodeConfig}. An unknown key is an error (a typo never silently becomes a default).
 * Relative paths are resolved against the directory of the config file.
 *
 * <pre>
 * genesis.file = genesis.json            # the chain's genesis (JSON)
 * key.file = validator.key               # this validator's Ed25519 key (ledger KeyFile)
 * data.dir = data                        # RocksDB directory (created if missing)
 * data.sync_commits = false              # fsync every committed block (else group commit; the votes cover it)
 * data.sync_votes = true                 # fsync votes before they leave; false: they survive kill -9, not a power loss
 * peer.listen =                          # bind address for peers; empty: genesis peer_address
 * rpc.listen =                           # gRPC bind address; empty: genesis rpc_address
 * metrics.listen = 127.0.0.1:9100        # Prometheus endpoint; empty: none
 * consensus.tick_millis = 10             # one replica Tick every this many ms
 * consensus.checkpoint_interval_blocks = 64 # K: a checkpoint every K blocks (log: max(2K, W+K) blocks)
 * consensus.window_blocks = 32           # W: blocks in flight
 * consensus.view_change_timeout_ticks = 200     # no progress for this long: view change
 * consensus.view_change_timeout_ticks_max = 3000 # cap of its exponential back-off
 * consensus.retransmit_ticks = 20        # resend votes after this many ticks without progress
 * consensus.status_interval_ticks = 50   # STATUS heartbeat (lets laggards notice)
 * consensus.propose_delay_ticks = 1      # leader waits up to this to fill a block
 * limits.input_queue_max = 100000        # event-loop input queue (bounded)
 * limits.mempool_tx_max = 50000          # pending client transactions
 * limits.peer_buffer_bytes_max = 16777216 # outbound bytes queued per peer; more are dropped
 * limits.wait_commit_max_millis = 300000 # cap of WaitForCommit
 * limits.shutdown_grace_millis = 5000    # SIGTERM: time to drain before closing
 * </pre>
 */
public final class NodeConfigFile {
  /** Every key this version knows. */
  public static final Set<String> KEYS = Set.of(
      "genesis.file", "key.file", "data.dir", "data.sync_commits", "data.sync_votes",
      "peer.listen", "rpc.listen", "metrics.listen",
      "consensus.tick_millis", "consensus.checkpoint_interval_blocks", "consensus.window_blocks",
      "consensus.view_change_timeout_ticks", "consensus.view_change_timeout_ticks_max",
      "consensus.retransmit_ticks", "consensus.status_interval_ticks", "consensus.propose_delay_ticks",
      "limits.input_queue_max", "limits.mempool_tx_max", "limits.peer_buffer_bytes_max",
      "limits.wait_commit_max_millis", "limits.shutdown_grace_millis");

  private NodeConfigFile() {}

  /**
   * Reads and validates the config file at {@code path}, with {@code overrides} (same keys,
   * e.g. from {@code --set key=value}) taking precedence over the file.
   *
   * @throws IllegalArgumentException naming the path and the offending key, or saying the
   *     file is missing or unreadable
   */
  public static NodeConfig load(Path path, Map<String, String> overrides) {
    Properties props = new Properties();
    try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      props.load(r);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("config file " + path + " does not exist");
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("config file " + path + " cannot be read: " + e.getMessage(), e);
    }
    TreeMap<String, String> values = new TreeMap<>();
    for (String k : props.stringPropertyNames()) {
      values.put(k, props.getProperty(k).trim());
    }
    values.putAll(overrides);
    return parse(path, values).validate();
  }

  /** Builds the config from key/value pairs as if read from {@code path}; not yet validated. */
  public static NodeConfig parse(Path path, Map<String, String> values) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(KEYS);
    for (String k : unknown) {
      problems.add("config file " + path + ": unknown key '" + k + "' (known keys: " + new TreeSet<>(KEYS) + ")");
    }
    Path dir = path.toAbsolutePath().getParent();
    Values v = new Values(path, dir, values, problems);
    NodeConfig.Files fd = NodeConfig.Files.defaults(dir);
    NodeConfig.Files files = new NodeConfig.Files(
        v.path("genesis.file", fd.genesisFile()), v.path("key.file", fd.keyFile()),
        v.path("data.dir", fd.dataDir()), v.bool("data.sync_commits", fd.syncCommits()),
        v.bool("data.sync_votes", fd.syncVotes()));
    NodeConfig.Listen ld = NodeConfig.Listen.defaults();
    NodeConfig.Listen listen = new NodeConfig.Listen(v.string("peer.listen", ld.peerListen()),
        v.string("rpc.listen", ld.rpcListen()), v.string("metrics.listen", ld.metricsListen()));
    NodeConfig.Consensus cd = NodeConfig.Consensus.defaults();
    NodeConfig.Consensus consensus = new NodeConfig.Consensus(
        v.number("consensus.tick_millis", cd.tickMillis()),
        (int) v.number("consensus.checkpoint_interval_blocks", cd.checkpointIntervalBlocks()),
        (int) v.number("consensus.window_blocks", cd.windowBlocks()),
        (int) v.number("consensus.view_change_timeout_ticks", cd.viewChangeTimeoutTicks()),
        (int) v.number("consensus.view_change_timeout_ticks_max", cd.viewChangeTimeoutTicksMax()),
        (int) v.number("consensus.retransmit_ticks", cd.retransmitTicks()),
        (int) v.number("consensus.status_interval_ticks", cd.statusIntervalTicks()),
        (int) v.number("consensus.propose_delay_ticks", cd.proposeDelayTicks()));
    NodeConfig.Limits xd = NodeConfig.Limits.defaults();
    NodeConfig.Limits limits = new NodeConfig.Limits(
        (int) v.number("limits.input_queue_max", xd.inputQueueMax()),
        (int) v.number("limits.mempool_tx_max", xd.mempoolTxMax()),
        (int) v.number("limits.peer_buffer_bytes_max", xd.peerBufferBytesMax()),
        v.number("limits.wait_commit_max_millis", xd.waitCommitMaxMillis()),
        v.number("limits.shutdown_grace_millis", xd.shutdownGraceMillis()));
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", problems));
    }
    return new NodeConfig(path, files, listen, consensus, limits);
  }

  /** The text of a config file with the given values and a comment; used by testnet init. */
  public static String render(String comment, Map<String, String> values) {
    StringBuilder b = new StringBuilder();
    for (String line : comment.split("\n")) {
      b.append("# ").append(line).append('\n');
    }
    for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
      b.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
    }
    return b.toString();
  }

  /** Typed access to the raw values, collecting problems instead of failing on the first. */
  private record Values(Path path, Path dir, Map<String, String> raw, List<String> problems) {
    String string(String key, String dflt) {
      return raw.getOrDefault(key, dflt);
    }

    Path path(String key, Path dflt) {
      String s = raw.get(key);
      if (s == null) {
        return dflt;
      }
      if (s.isEmpty()) {
        problems.add("config file " + path + ": key '" + key + "' is empty; remove it to use the default");
        return dflt;
      }
      return dir.resolve(s).normalize();
    }

    boolean bool(String key, boolean dflt) {
      String s = raw.get(key);
      if (s == null) {
        return dflt;
      }
      if (!s.equals("true") && !s.equals("false")) {
        problems.add("config file " + path + ": key '" + key + "' must be true or false, got '" + s + "'");
        return dflt;
      }
      return Boolean.parseBoolean(s);
    }

    long number(String key, long dflt) {
      String s = raw.get(key);
      if (s == null) {
        return dflt;
      }
      try {
        long n = Long.parseLong(s.replace("_", ""));
        if (n > Integer.MAX_VALUE && !key.endsWith("_millis")) {
          problems.add("config file " + path + ": key '" + key + "' is too large: " + s);
          return dflt;
        }
        return n;
      } catch (NumberFormatException e) {
        problems.add("config file " + path + ": key '" + key + "' must be an integer, got '" + s + "'");
        return dflt;
      }
    }
  }
}
