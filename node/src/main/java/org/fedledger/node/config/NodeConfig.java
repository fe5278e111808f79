package org.fedledger.node.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything one validator process is configured with, read once from its config file (see
 * {@link NodeConfigFile} for the format and every key) plus command-line overrides, then
 * validated by {@link #validate()}. Immutable.
 *
 * <p>Which validator this process is follows from its key: the index of its public key in the
 * genesis. Peer addresses come from the genesis too; the config file only says where to bind.
 *
 * @param source the config file this was read from (named in every validation message)
 */
public record NodeConfig(Path source, Files files, Listen listen, Consensus consensus, Limits limits) {

  /** Files and directories; relative paths are resolved against the config file's directory. */
  public record Files(
      Path genesisFile, // key genesis.file, default genesis.json
      Path keyFile,     // key key.file, default validator.key
      Path dataDir,     // key data.dir, default data
      boolean syncCommits, // key data.sync_commits, default false: group commit (fsync the consensus log only)
      boolean syncVotes) { // key data.sync_votes, default true: fsync votes before they leave (false: survive kill -9, not power loss)
    /** Defaults for a config file in {@code dir}. */
    public static Files defaults(Path dir) {
      return new Files(dir.resolve("genesis.json"), dir.resolve("validator.key"), dir.resolve("data"), false, true);
    }
  }

  /**
   * Where the process listens. Peer transport: the host:port of this validator in the genesis,
   * unless {@code peerListen} overrides the bind address. Ports 0 are refused (peers and
   * clients must know them).
   */
  public record Listen(
      String peerListen,    // key peer.listen, default "" = this validator's genesis peer_address
      String rpcListen,     // key rpc.listen, default "" = this validator's genesis rpc_address
      String metricsListen) { // key metrics.listen, default "" = no metrics endpoint
    /** Defaults: everything from the genesis, no metrics endpoint. */
    public static Listen defaults() {
      return new Listen("", "", "");
    }
  }

  /** Replica knobs (see consensus ReplicaConfig); the defaults suit a loopback testnet. */
  public record Consensus(
      long tickMillis,                 // key consensus.tick_millis, default 10
      int checkpointIntervalBlocks,    // key consensus.checkpoint_interval_blocks, default 64 (log L = max(2K, W+K) = 128)
      int windowBlocks,                // key consensus.window_blocks, default 32
      int viewChangeTimeoutTicks,      // key consensus.view_change_timeout_ticks, default 200 (2 s)
      int viewChangeTimeoutTicksMax,   // key consensus.view_change_timeout_ticks_max, default 3000 (30 s)
      int retransmitTicks,             // key consensus.retransmit_ticks, default 20
      int statusIntervalTicks,         // key consensus.status_interval_ticks, default 50
      int proposeDelayTicks) {         // key consensus.propose_delay_ticks, default 1
    /** Defaults for a loopback testnet. */
    public static Consensus defaults() {
      return new Consensus(10, 64, 32, 200, 3000, 20, 50, 1);
    }
  }

  /** Bounds that keep a slow peer or a flood of clients from exhausting memory. */
  public record Limits(
      int inputQueueMax,      // key limits.input_queue_max, default 100000 events
      int mempoolTxMax,       // key limits.mempool_tx_max, default 50000 transactions
      int peerBufferBytesMax, // key limits.peer_buffer_bytes_max, default 16 MiB queued per peer
      long waitCommitMaxMillis, // key limits.wait_commit_max_millis, default 300000
      long shutdownGraceMillis) { // key limits.shutdown_grace_millis, default 5000
    /** Defaults. */
    public static Limits defaults() {
      return new Limits(100_000, 50_000, 16 << 20, 300_000, 5_000);
    }
  }

  /**
   * Every problem of this configuration, each naming the file and the key; empty when valid.
   */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    addr(out, "peer.listen", listen.peerListen());
    addr(out, "rpc.listen", listen.rpcListen());
    addr(out, "metrics.listen", listen.metricsListen());
    positive(out, "consensus.tick_millis", consensus.tickMillis());
    positive(out, "consensus.checkpoint_interval_blocks", consensus.checkpointIntervalBlocks());
    positive(out, "consensus.window_blocks", consensus.windowBlocks());
    positive(out, "consensus.view_change_timeout_ticks", consensus.viewChangeTimeoutTicks());
    if (consensus.viewChangeTimeoutTicksMax() < consensus.viewChangeTimeoutTicks()) {
      out.add(at("consensus.view_change_timeout_ticks_max") + " must be >= consensus.view_change_timeout_ticks ("
          + consensus.viewChangeTimeoutTicks() + "), got " + consensus.viewChangeTimeoutTicksMax());
    }
    if (consensus.proposeDelayTicks() < 0) {
      out.add(at("consensus.propose_delay_ticks") + " must be >= 0, got " + consensus.proposeDelayTicks());
    }
    positive(out, "consensus.retransmit_ticks", consensus.retransmitTicks());
    positive(out, "consensus.status_interval_ticks", consensus.statusIntervalTicks());
    positive(out, "limits.input_queue_max", limits.inputQueueMax());
    positive(out, "limits.mempool_tx_max", limits.mempoolTxMax());
    positive(out, "limits.peer_buffer_bytes_max", limits.peerBufferBytesMax());
    positive(out, "limits.wait_commit_max_millis", limits.waitCommitMaxMillis());
    if (limits.shutdownGraceMillis() < 0) {
      out.add(at("limits.shutdown_grace_millis") + " must be >= 0, got " + limits.shutdownGraceMillis());
    }
    return out;
  }

  /**
   * Validates this configuration.
   *
   * @throws IllegalArgumentException listing every problem, each naming the file and the key
   */
  public NodeConfig validate() {
    List<String> problems = problems();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", problems));
    }
    return this;
  }

  private String at(String key) {
    return "config file " + source + ": key '" + key + "'";
  }

  private void positive(List<String> out, String key, long value) {
    if (value <= 0) {
      out.add(at(key) + " must be > 0, got " + value);
    }
  }

  private void addr(List<String> out, String key, String value) {
    if (value.isEmpty()) {
      return;
    }
    try {
      HostPort.parse(value);
    } catch (IllegalArgumentException e) {
      out.add(at(key) + ": " + e.getMessage());
    }
  }
}
