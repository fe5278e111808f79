package org.fedledger.node.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import org.fedledger.consensus.Drop;
import org.fedledger.consensus.ViewChangeCause;
import org.fedledger.node.net.CloseReason;

/**
 * The validator's Prometheus metrics, in a registry of their own (so several nodes can share a
 * JVM in tests), and the HTTP endpoint that serves them at {@code /metrics}. Thread-safe: the
 * event loop updates them, the HTTP server reads them.
 */
public final class NodeMetrics implements AutoCloseable {
  /**
   * Drop reasons of {@link #messagesDropped} counted by the node itself, beside the replica's
   * {@link Drop}s: an undecodable peer message, a full input queue, input while stopping.
   */
  static final List<String> NODE_DROP_REASONS = List.of("malformed_frame", "input_queue_full", "stopping");

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private HTTPServer server;

  /** Committed head height. */
  public final Gauge height = Gauge.builder().name("fedledger_height")
      .help("Height of the committed head").register(registry);
  /** Current PBFT view. */
  public final Gauge view = Gauge.builder().name("fedledger_view")
      .help("Current PBFT view").register(registry);
  /** Index of the leader of the current view. */
  public final Gauge leader = Gauge.builder().name("fedledger_leader")
      .help("Validator index of the leader of the current view").register(registry);
  /** Blocks committed since start. */
  public final Counter blocksCommitted = Counter.builder().name("fedledger_blocks_committed")
      .help("Blocks executed and committed by this node since it started").register(registry);
  /** Transactions committed since start. */
  public final Counter txsCommitted = Counter.builder().name("fedledger_txs_committed")
      .help("Transactions in blocks committed by this node since it started").register(registry);
  /** Time from a transaction's submission at this node to its commit here. */
  public final Histogram commitLatency = Histogram.builder().name("fedledger_commit_latency_seconds")
      .help("Seconds from a transaction's submission at this node to its commit at this node")
      .classicOnly()
      .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
      .register(registry);
  /** View changes this node started, by cause ({@link ViewChangeCause#label()}). */
  public final Counter viewChanges = Counter.builder().name("fedledger_view_changes")
      .help("View changes this node started, by cause: progress_timeout (outstanding work, no progress), "
          + "new_view_timeout (no NEW-VIEW in time), joined_f_plus_one (f+1 others asked for a higher view)")
      .labelNames("reason").register(registry);
  /** NEW-VIEWs installed. */
  public final Counter newViewsInstalled = Counter.builder().name("fedledger_new_views_installed")
      .help("NEW-VIEW messages this node checked and installed (views it entered after a view change)")
      .register(registry);
  /** Connected peers. */
  public final Gauge peersConnected = Gauge.builder().name("fedledger_peers_connected")
      .help("Validators this node has an authenticated connection to").register(registry);
  /** Peer connections refused or closed, by reason (e.g. unknown_key, wrong_genesis, idle_timeout). */
  public final Counter peerConnectionsClosed = Counter.builder().name("fedledger_peer_connections_closed")
      .help("Peer connections this node refused or closed, by reason").labelNames("reason").register(registry);
  /** Pending client transactions. */
  public final Gauge mempoolSize = Gauge.builder().name("fedledger_mempool_size")
      .help("Client transactions accepted by this node and not yet committed").register(registry);
  /** Messages dropped, by reason. */
  public final Counter messagesDropped = Counter.builder().name("fedledger_messages_dropped")
      .help("Peer messages and client inputs dropped, by reason").labelNames("reason").register(registry);
  /** Transactions refused at submission, by gRPC status / validation code (transactions, not calls). */
  public final Counter txsRefused = Counter.builder().name("fedledger_txs_refused")
      .help("Client transactions refused at submission, by reason").labelNames("reason").register(registry);
  /** Reasons of {@link #batchesRefused}: no envelope, more than the batch limit. */
  static final List<String> BATCH_REFUSAL_REASONS = List.of("empty", "too_many");
  /**
   * SubmitTransactions calls refused whole (BAD_BATCH), by reason ({@link #BATCH_REFUSAL_REASONS});
   * none of their transactions is checked or counted in {@link #txsRefused}.
   */
  public final Counter batchesRefused = Counter.builder().name("fedledger_batches_refused")
      .help("SubmitTransactions calls refused whole (BAD_BATCH) before any transaction was checked, by reason: "
          + "empty, too_many").labelNames("reason").register(registry);
  /** Target height of state transfer (0 when not syncing). */
  public final Gauge syncTargetHeight = Gauge.builder().name("fedledger_state_transfer_target_height")
      .help("Height state transfer is catching up to; 0 when not syncing").register(registry);
  /** Blocks received by state transfer. */
  public final Counter syncBlocks = Counter.builder().name("fedledger_state_transfer_blocks")
      .help("Blocks received from peers by state transfer and committed").register(registry);

  /**
   * Creates the metrics with every known label value at zero, so that each series exists from
   * the start (a rate over a series that appears late misses its first increments).
   */
  public NodeMetrics() {
    for (ViewChangeCause cause : ViewChangeCause.values()) {
      viewChanges.labelValues(cause.label());
    }
    for (Drop d : Drop.values()) {
      messagesDropped.labelValues(d.name().toLowerCase(Locale.ROOT));
    }
    for (String r : NODE_DROP_REASONS) {
      messagesDropped.labelValues(r);
    }
    for (String r : BATCH_REFUSAL_REASONS) {
      batchesRefused.labelValues(r);
    }
    for (CloseReason r : CloseReason.values()) {
      peerConnectionsClosed.labelValues(r.name().toLowerCase(Locale.ROOT));
    }
  }

  /** The registry holding every metric of this node. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /**
   * Serves the metrics over HTTP at {@code host:port}/metrics.
   *
   * @throws UncheckedIOException naming the address when it cannot be bound
   */
  public synchronized void serve(String host, int port) {
    try {
      server = HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** The bound metrics port, or -1 when not serving. */
  public synchronized int port() {
    return server == null ? -1 : server.getPort();
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
