package org.fedledger.node.exec;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.BindableService;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.fedledger.consensus.Input;
import org.fedledger.consensus.LogKeys;
import org.fedledger.consensus.Replica;
import org.fedledger.consensus.ReplicaConfig;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.node.config.HostPort;
import org.fedledger.node.config.NodeConfig;
import org.fedledger.node.metrics.NodeMetrics;
import org.fedledger.node.net.CloseReason;
import org.fedledger.node.net.NettyPeerTransport;
import org.fedledger.node.net.PeerIo;
import org.fedledger.node.net.PeerTransport;
import org.fedledger.node.net.PeerTransportConfig;
import org.fedledger.node.rpc.CommitFeed;
import org.fedledger.node.rpc.FlService;
import org.fedledger.node.rpc.LedgerService;
import org.fedledger.node.rpc.RpcServer;
import org.fedledger.node.store.BlockCommitter;
import org.fedledger.node.store.GenesisCommit;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.GenesisValidator;
import org.fedledger.proto.api.NodeStatus;
import org.fedledger.proto.api.PeerStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One validator process, wired: genesis, key, RocksDB store, replica on its event loop, Netty
 * peer transport, gRPC API and metrics. {@link #start} brings it up; {@link #close} shuts it
 * down cleanly (stop accepting, stop the loop, close peers, flush and close RocksDB).
 */
public final class Validator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Validator.class);

  private final NodeConfig config;
  private final Chain chain;
  private final int self;
  private final LedgerStore store;
  private final NodeMetrics metrics = new NodeMetrics();
  private final CommitFeed feed = new CommitFeed();
  private final PendingTxs pending;
  private final EventLoop loop;
  /**
   * The one thread of the peer transport and of the event loop ({@code fedledger-loop-N}), on
   * native epoll where available, else NIO ({@link PeerIo#best()}).
   */
  private final EventLoopGroup loopGroup;
  private final NettyPeerTransport transport;
  private final ScheduledExecutorService ticker;
  private final ScheduledExecutorService rpcScheduler;
  private final RpcServer rpc;
  private final EnumMap<CloseReason, Long> closedSeen = new EnumMap<>(CloseReason.class); // ticker thread only
  /** The gRPC API's intake; opened once started, closed first by {@link #close}. */
  private final LoopIntake intake;
  private boolean closed;

  private Validator(NodeConfig config) {
    this.config = config;
    this.chain = GenesisFile.load(config.files().genesisFile());
    KeyPair key = KeyFile.read(config.files().keyFile());
    this.self = chain.validatorIndex(key.publicKey()).orElseThrow(() -> new IllegalArgumentException(
        "key file " + config.files().keyFile() + ": public key " + Keys.shortHex(key.publicKey())
            + " is not a validator of genesis " + config.files().genesisFile()));
    GenesisValidator me = chain.validators().get(self);
    HostPort peerListen = address(config.listen().peerListen(), me.getPeerAddress(), "peer.listen", "peer_address");
    HostPort rpcListen = address(config.listen().rpcListen(), me.getRpcAddress(), "rpc.listen", "rpc_address");

    Durability durability = config.files().syncCommits() ? Durability.SYNC : Durability.GROUP;
    this.store = LedgerStore.open(config.files().dataDir(), chain.genesisHash(), durability);
    try {
      ChainHead head = GenesisCommit.ensureGenesis(store, chain);
      Replica replica = Replica.restore(replicaConfig(config, chain, self, key), head, store.stateRoot(),
          store.consensusLog().scan(LogKeys.PREFIX));
      this.pending = new PendingTxs(config.limits().mempoolTxMax());
      this.loopGroup = PeerIo.best().newGroup(1, r -> {
        Thread t = new FastThreadLocalThread(r, "fedledger-loop-" + self);
        t.setDaemon(false); // as the loop thread always was, whichever thread first schedules on it
        return t;
      });
      this.transport = NettyPeerTransport.builder(chain, self, key)
          .eventLoopGroup(loopGroup)
          .config(PeerTransportConfig.defaults().withWriteBuffer(config.limits().peerBufferBytesMax() / 2,
              config.limits().peerBufferBytesMax()))
          .listenAddress(new InetSocketAddress(peerListen.host(), peerListen.port()))
          .build();
      Durability votes = config.files().syncVotes() ? Durability.SYNC : Durability.GROUP;
      this.loop = new EventLoop(loopGroup.next(), self, replica, store, new BlockCommitter(chain, store, durability),
          transport, feed, metrics, pending, config.limits().inputQueueMax(), votes, Math.max(chain.blockTxMax(), Replica.FORWARD_TXS_MIN_CAP),
          chain.blockBytesMax() / 2);
      if (votes != Durability.SYNC) {
        LOG.warn("validator {}: votes are written without fsync (data.sync_votes = false in {}): they survive a "
            + "process crash, not a power loss", self, config.source());
      }
      this.intake = new LoopIntake(pending, loop);
      this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fedledger-tick-" + self));
      this.rpcScheduler = Executors.newScheduledThreadPool(2, r -> daemon(r, "fedledger-rpc-" + self));
      if (!config.listen().metricsListen().isEmpty()) {
        HostPort m = HostPort.parse(config.listen().metricsListen());
        metrics.serve(m.host(), m.port());
      }
      transport.start(new Peers());
      ticker.scheduleAtFixedRate(this::tick, config.consensus().tickMillis(), config.consensus().tickMillis(),
          TimeUnit.MILLISECONDS);
      List<BindableService> services = List.of(
          new LedgerService(chain, store, intake, feed, this::status, rpcScheduler,
              config.limits().waitCommitMaxMillis(), metrics),
          new FlService(chain, store));
      this.rpc = new RpcServer(rpcListen.host(), rpcListen.port(), services, chain.txBytesMax() + (1 << 20));
    } catch (RuntimeException e) {
      closeAfterFailedStart();
      throw e;
    }
    intake.open(true);
    rpc.ready();
    LOG.info("validator {} ({}) started at height {} in view {}: peers on {}, gRPC on {}, metrics on {}, data in {}",
        self, me.getId(), store.head().orElseThrow().height(), loop.status().view(), peerListen, rpcListen,
        config.listen().metricsListen().isEmpty() ? "(off)" : config.listen().metricsListen(),
        config.files().dataDir());
  }

  /**
   * Starts the validator configured by {@code config}.
   *
   * @throws IllegalArgumentException for a bad genesis, key or address (the message names the file)
   */
  public static Validator start(NodeConfig config) {
    return new Validator(config);
  }

  /** The replica configuration that {@code config} asks for. */
  static ReplicaConfig replicaConfig(NodeConfig config, Chain chain, int self, KeyPair key) {
    NodeConfig.Consensus c = config.consensus();
    return new ReplicaConfig(chain, self, key, c.checkpointIntervalBlocks(), c.windowBlocks(),
        c.viewChangeTimeoutTicks(), c.viewChangeTimeoutTicksMax(), c.retransmitTicks(), c.statusIntervalTicks(),
        chain.blockTxMax(), chain.blockBytesMax() / 2, c.proposeDelayTicks(), config.limits().mempoolTxMax(),
        ReplicaConfig.DEFAULT_TRANSFER_BATCH_BLOCKS, false).validate(); // lazy vote sync loses liveness (consensus README)
  }

  private HostPort address(String configured, String fromGenesis, String key, String genesisField) {
    String a = configured.isEmpty() ? fromGenesis : configured;
    if (a.isEmpty()) {
      throw new IllegalArgumentException("config file " + config.source() + ": key '" + key + "' is not set and "
          + "genesis " + config.files().genesisFile() + " gives validator " + self + " no " + genesisField);
    }
    try {
      return HostPort.parse(a);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException((configured.isEmpty()
          ? "genesis " + config.files().genesisFile() + ": validators[" + self + "]." + genesisField
          : "config file " + config.source() + ": key '" + key + "'") + ": " + e.getMessage(), e);
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** The software version (from the jar manifest when packaged). */
  public static String version() {
    String v = Validator.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  /** This validator's genesis index. */
  public int index() {
    return self;
  }

  /** The bound gRPC port. */
  public int rpcPort() {
    return rpc.port();
  }

  /** The bound metrics port, or -1. */
  public int metricsPort() {
    return metrics.port();
  }

  /** Sets the measurement hook of this validator's event loop (benchmarks); {@link ConsensusProbe#NONE} clears it. */
  public void probe(ConsensusProbe probe) {
    loop.probe = java.util.Objects.requireNonNull(probe, "probe");
  }

  /** The store (for tests that compare validators; read-only: the event loop owns writes). */
  public LedgerStore store() {
    return store;
  }

  /** True while the event loop runs (false after {@link #close} or a fatal error). */
  public boolean isRunning() {
    return loop.isAlive();
  }

  /** True when the event loop stopped on an error (a broken invariant or a store failure). */
  public boolean failed() {
    return loop.failure().isPresent();
  }

  /** Blocks until the event loop stops (fatal error or {@link #close}). */
  public void awaitTermination() throws InterruptedException {
    loop.awaitStopped();
    loop.failure().ifPresent(t -> LOG.error("validator {} stopped on an error", self));
  }

  private void tick() {
    loop.tick(System.currentTimeMillis());
    metrics.peersConnected.set(transport.connectedPeerCount());
    for (Map.Entry<CloseReason, Long> c : transport.closedConnections().entrySet()) {
      long before = closedSeen.getOrDefault(c.getKey(), 0L);
      if (c.getValue() > before) {
        metrics.peerConnectionsClosed.labelValues(c.getKey().name().toLowerCase(Locale.ROOT)).inc(c.getValue() - before);
        closedSeen.put(c.getKey(), c.getValue());
      }
    }
  }

  /** The node status for GetStatus. */
  NodeStatus status() {
    StatusView s = loop.status();
    NodeStatus.Builder b = NodeStatus.newBuilder().setChainId(chain.chainId()).setSelfIndex(self)
        .setSelfId(chain.validators().get(self).getId()).setHeight(s.height()).setHeadHash(s.headHash().bytes())
        .setStateRoot(s.stateRoot().bytes()).setView(s.view()).setLeader(s.leader())
        .setMempoolSize(pending.size()).setSyncing(s.syncing()).setVersion(version());
    for (org.fedledger.node.net.PeerStatus p : transport.peerStatus()) {
      GenesisValidator v = chain.validators().get(p.validator());
      b.addPeers(PeerStatus.newBuilder().setIndex(p.validator()).setId(v.getId()).setAddress(v.getPeerAddress())
          .setConnected(p.connected()));
    }
    return b.build();
  }

  /** Receives on the transport's I/O thread (the event loop's own): parse, then only enqueue. */
  private final class Peers implements PeerTransport.Listener {
    @Override
    public void onMessage(int fromValidator, com.google.protobuf.ByteString payload) {
      ConsensusMessage msg;
      try {
        msg = ConsensusMessage.parseFrom(payload);
      } catch (InvalidProtocolBufferException e) {
        metrics.messagesDropped.labelValues("malformed_frame").inc();
        LOG.debug("dropped a malformed message from validator {}: {}", fromValidator, e.getMessage());
        return;
      }
      loop.offer(new Input.Receive(fromValidator, msg));
    }

    @Override
    public void onPeerConnected(int validator) {
      LOG.debug("peer {} ({}) connected", validator, chain.validators().get(validator).getId());
    }

    @Override
    public void onPeerDisconnected(int validator) {
      LOG.debug("peer {} ({}) disconnected", validator, chain.validators().get(validator).getId());
    }
  }

  /**
   * Shuts down: stops accepting client calls, stops the event loop after the input it is
   * handling, closes the peer transport, writes the consensus log's clean-stop marker (synced:
   * a restart need not abstain), flushes and closes RocksDB. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    intake.open(false);
    long grace = config.limits().shutdownGraceMillis();
    LOG.info("validator {} shutting down", self);
    rpc.shutdown(grace);
    ticker.shutdownNow();
    loop.stop();
    boolean stopped = false;
    try {
      stopped = loop.awaitStopped(Math.max(grace, 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!stopped) {
      LOG.warn("event loop did not stop within {} ms; closing anyway", grace);
    }
    transport.close();
    shutDownLoopGroup(grace);
    rpcScheduler.shutdownNow();
    long height = store.head().map(ChainHead::height).orElse(-1L);
    if (stopped && !loop.failure().isPresent()) {
      // Nothing leaves any more, and this synced write makes every earlier one durable: a restart
      // need not abstain from votes it might have forgotten (lazy vote sync, consensus README).
      try {
        store.consensusLog().write(Map.of(LogKeys.CLEAN_STOP, java.util.Optional.of(LogKeys.CLEAN_STOP_VALUE)),
            Durability.SYNC);
      } catch (RuntimeException e) { // the store still gets closed; the next start treats this stop as a crash
        LOG.warn("validator {}: cannot write the clean-stop marker: {}", self, e.toString());
      }
    }
    store.sync();
    store.close();
    metrics.close();
    LOG.info("validator {} stopped at height {}", self, height);
  }

  /** Stops the loop's thread (after the transport closed its channels on it). */
  private void shutDownLoopGroup(long graceMillis) {
    long waitMillis = Math.max(graceMillis, 1);
    if (!loopGroup.shutdownGracefully(0, waitMillis, TimeUnit.MILLISECONDS).awaitUninterruptibly(waitMillis)) {
      LOG.warn("peer I/O thread of validator {} did not stop within {} ms", self, waitMillis);
    }
  }

  private void closeAfterFailedStart() {
    List<AutoCloseable> opened = new ArrayList<>();
    if (rpc != null) {
      opened.add(rpc);
    }
    if (ticker != null) {
      opened.add(ticker::shutdownNow);
    }
    if (loop != null) {
      opened.add(loop::stop);
    }
    if (transport != null) {
      opened.add(transport);
    }
    if (loopGroup != null) {
      opened.add(() -> shutDownLoopGroup(config.limits().shutdownGraceMillis()));
    }
    if (rpcScheduler != null) {
      opened.add(rpcScheduler::shutdownNow);
    }
    opened.add(metrics);
    opened.add(store);
    for (AutoCloseable c : opened) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("while cleaning up a failed start: {}", e.toString());
      }
    }
  }
}
