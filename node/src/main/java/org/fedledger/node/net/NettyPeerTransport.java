package org.fedledger.node.net;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.KeyPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PeerTransport} over TCP with Netty: one authenticated connection per pair of
 * validators (the lower index dials), length-prefixed frames, reconnect with capped
 * exponential back-off and jitter, and per-peer outbound buffers bounded by Netty's
 * write-buffer water marks. See the package documentation for the protocol and its threat model.
 *
 * <p>Build with {@link #builder}; several transports in one JVM should share one
 * {@link EventLoopGroup} ({@link Builder#eventLoopGroup}). Runs on NIO or native epoll
 * ({@link PeerIo}), whichever the group is.
 */
public final class NettyPeerTransport implements PeerTransport {
  private static final Logger LOG = LoggerFactory.getLogger(NettyPeerTransport.class);

  /** Flush at the latest after this many consolidated flushes (FlushConsolidationHandler). */
  private static final int FLUSH_AFTER_FLUSHES = 256;

  /** Counts a queued payload by its frame size, so the water marks bound queued bytes. */
  private static final MessageSizeEstimator SIZE_ESTIMATOR = () -> msg -> {
    if (msg instanceof ByteBuf) {
      return ((ByteBuf) msg).readableBytes();
    }
    return Handshake.HEADER_BYTES;
  };

  private final Chain chain;
  private final int self;
  private final KeyPair key;
  private final PeerTransportConfig config;
  private final InetSocketAddress listenAddress;
  private final IntFunction<InetSocketAddress> peerAddresses;
  private final EventLoopGroup group;
  private final PeerIo io;
  private final boolean ownsGroup;
  private final SecureRandom random = new SecureRandom();
  /** Indexed by validator; null at {@link #self}. */
  private final Peer[] peers;
  private final AtomicLongArray closes = new AtomicLongArray(CloseReason.values().length);
  private final ChannelGroup channels = new DefaultChannelGroup("peers", GlobalEventExecutor.INSTANCE);

  private volatile Listener listener;
  private volatile boolean closed;
  private boolean started;
  private volatile Channel server;
  private volatile Bootstrap dialer;

  private NettyPeerTransport(Builder b) {
    this.chain = b.chain;
    this.self = b.self;
    this.key = b.key;
    this.config = b.config;
    this.listenAddress = b.listenAddress != null ? b.listenAddress : PeerAddresses.listenAddress(chain, self);
    this.peerAddresses = b.peerAddresses != null ? b.peerAddresses : v -> PeerAddresses.dialAddress(chain, v);
    this.ownsGroup = b.eventLoopGroup == null;
    this.io = ownsGroup ? (b.io != null ? b.io : PeerIo.best()) : PeerIo.of(b.eventLoopGroup);
    this.group = ownsGroup ? io.newGroup(b.ioThreads) : b.eventLoopGroup;
    this.peers = new Peer[chain.validatorCount()];
    for (int v = 0; v < peers.length; v++) {
      peers[v] = v == self ? null : new Peer(v, Handshake.dials(self, v));
    }
  }

  /**
   * A builder for validator {@code self} of {@code chain}, holding its genesis key pair.
   *
   * @throws IllegalArgumentException when {@code self} is not a genesis index or {@code key} is not its genesis key
   */
  public static Builder builder(Chain chain, int self, KeyPair key) {
    return new Builder(chain, self, key);
  }

  @Override
  public synchronized void start(Listener listener) {
    if (started || closed) {
      throw new IllegalStateException("peer transport of validator " + self + " already "
          + (closed ? "closed" : "started"));
    }
    this.listener = Objects.requireNonNull(listener, "listener");
    started = true;
    WriteBufferWaterMark marks = new WriteBufferWaterMark(config.writeBufferLowBytes(), config.writeBufferHighBytes());
    ChannelFuture bind = new ServerBootstrap()
        .group(group)
        .channel(io.serverChannel())
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, marks)
        .childOption(ChannelOption.MESSAGE_SIZE_ESTIMATOR, SIZE_ESTIMATOR)
        .childHandler(initializer(-1))
        .bind(listenAddress)
        .awaitUninterruptibly();
    if (!bind.isSuccess()) {
      throw new IllegalStateException("validator " + self + " cannot listen for peers on " + listenAddress
          + ": " + bind.cause(), bind.cause());
    }
    server = bind.channel();
    dialer = new Bootstrap()
        .group(group)
        .channel(io.channel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, marks)
        .option(ChannelOption.MESSAGE_SIZE_ESTIMATOR, SIZE_ESTIMATOR)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.handshakeTimeoutMillis()));
    LOG.info("validator {} listening for peers on {} ({} transport)", self, server.localAddress(), io);
    for (Peer peer : peers) {
      if (peer != null && peer.dialedByUs) {
        dial(peer);
      }
    }
  }

  /** The Netty transport this peer transport runs on. */
  public PeerIo io() {
    return io;
  }

  /** The bound listening address (its port is the real one when port 0 was asked for). */
  public InetSocketAddress boundAddress() {
    Channel s = server;
    if (s == null) {
      throw new IllegalStateException("peer transport of validator " + self + " is not started");
    }
    return (InetSocketAddress) s.localAddress();
  }

  @Override
  public boolean send(int validator, ByteString payload) {
    Peer peer = peer(validator);
    Channel ch = channelFor(peer, payload);
    if (ch == null) {
      return false;
    }
    queue(peer, ch, PeerSession.payloadFrame(ch.alloc(), payload), payload.size());
    return true;
  }

  /** Encodes {@code payload} into one frame, written to every writable peer (a duplicate each). */
  @Override
  public int broadcast(ByteString payload) {
    ByteBuf frame = null;
    int queued = 0;
    try {
      for (Peer peer : peers) {
        Channel ch = peer == null ? null : channelFor(peer, payload);
        if (ch != null) {
          if (frame == null) {
            frame = PeerSession.payloadFrame(ch.alloc(), payload);
          }
          queue(peer, ch, frame.retainedDuplicate(), payload.size());
          queued++;
        }
      }
    } finally {
      if (frame != null) {
        frame.release();
      }
    }
    return queued;
  }

  /** The channel to send {@code payload} to {@code peer} on, or null (counted) when it is dropped. */
  private Channel channelFor(Peer peer, ByteString payload) {
    if (payload.size() > config.frameBytesMax()) {
      peer.drop(DropReason.OVERSIZED);
      return null;
    }
    Channel ch = peer.channel.get();
    if (ch == null) {
      peer.drop(DropReason.NOT_CONNECTED);
      return null;
    }
    if (!ch.isWritable()) {
      peer.drop(DropReason.BACKPRESSURE);
      return null;
    }
    return ch;
  }

  private static void queue(Peer peer, Channel ch, ByteBuf frame, int payloadBytes) {
    peer.framesSent.increment();
    peer.bytesSent.add(payloadBytes);
    // Written directly when called on the channel's event loop (the validator's consensus loop
    // runs there), else one task per frame; FlushConsolidationHandler batches the flushes.
    ch.writeAndFlush(frame, ch.voidPromise());
  }

  @Override
  public List<PeerStatus> peerStatus() {
    List<PeerStatus> out = new ArrayList<>(peers.length);
    for (Peer peer : peers) {
      if (peer != null) {
        out.add(peer.status());
      }
    }
    return out;
  }

  @Override
  public int connectedPeerCount() {
    int n = 0;
    for (Peer peer : peers) {
      if (peer != null && peer.channel.get() != null) {
        n++;
      }
    }
    return n;
  }

  @Override
  public Map<CloseReason, Long> closedConnections() {
    Map<CloseReason, Long> out = new EnumMap<>(CloseReason.class);
    for (CloseReason r : CloseReason.values()) {
      out.put(r, closes.get(r.ordinal()));
    }
    return Collections.unmodifiableMap(out);
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (Peer peer : peers) {
      if (peer != null) {
        synchronized (peer) {
          if (peer.reconnect != null) {
            peer.reconnect.cancel(false);
            peer.reconnect = null;
          }
        }
      }
    }
    long waitMillis = config.shutdownTimeoutMillis();
    if (server != null) {
      server.close().awaitUninterruptibly(waitMillis);
    }
    channels.close().awaitUninterruptibly(waitMillis);
    if (ownsGroup) {
      group.shutdownGracefully(0, waitMillis, TimeUnit.MILLISECONDS).awaitUninterruptibly(waitMillis);
    }
    LOG.info("validator {} peer transport closed", self);
  }

  // ---- dialing ----

  private void dial(Peer peer) {
    ChannelFuture connect;
    synchronized (peer) {
      peer.reconnect = null;
      if (closed || peer.dialing != null) {
        return;
      }
      peer.connectAttempts.increment();
      InetSocketAddress address = resolve(peer.validator);
      if (address == null) {
        scheduleReconnect(peer);
        return;
      }
      connect = dialer.clone().handler(initializer(peer.validator)).connect(address);
      peer.dialing = connect.channel();
    }
    Channel ch = connect.channel();
    ch.closeFuture().addListener(done -> onDialEnded(peer, ch));
    connect.addListener(f -> {
      if (!f.isSuccess()) {
        LOG.debug("validator {} could not connect to validator {}: {}", self, peer.validator, f.cause().toString());
        ch.close();
      }
    });
  }

  private void onDialEnded(Peer peer, Channel ch) {
    synchronized (peer) {
      if (peer.dialing != ch) {
        return;
      }
      peer.dialing = null;
      scheduleReconnect(peer);
    }
  }

  /** Schedules the next dial with capped exponential back-off and jitter; caller holds the peer's lock. */
  private void scheduleReconnect(Peer peer) {
    if (closed || peer.reconnect != null) {
      return;
    }
    long delayMillis = config.backoffMillis(peer.failures);
    delayMillis = delayMillis / 2 + ThreadLocalRandom.current().nextLong(delayMillis / 2 + 1);
    peer.failures = Math.min(peer.failures + 1, 64);
    try {
      peer.reconnect = group.schedule(() -> dial(peer), delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException shuttingDown) {
      LOG.debug("validator {} not reconnecting to {}: event loop shutting down", self, peer.validator);
    }
  }

  private InetSocketAddress resolve(int validator) {
    try {
      return peerAddresses.apply(validator);
    } catch (RuntimeException e) {
      LOG.warn("validator {} has no usable peer address for validator {}: {}", self, validator, e.getMessage());
      return null;
    }
  }

  private ChannelInitializer<SocketChannel> initializer(int dialed) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        if (closed) {
          ch.close();
          return;
        }
        channels.add(ch);
        ch.pipeline()
            .addLast("flush", new FlushConsolidationHandler(FLUSH_AFTER_FLUSHES, true))
            .addLast("frames", new FrameDecoder())
            .addLast("session", new PeerSession(NettyPeerTransport.this, dialed));
      }
    };
  }

  // ---- called by PeerSession on the channel's event loop ----

  /** Makes {@code ch}, authenticated as {@code peer}, the channel in use for that peer. */
  void onAuthenticated(Peer peer, Channel ch) {
    if (closed) {
      ch.close();
      return;
    }
    Channel old = peer.channel.getAndSet(ch);
    ch.closeFuture().addListener(done -> {
      if (peer.channel.compareAndSet(ch, null)) {
        LOG.info("validator {} disconnected from validator {}", self, peer.validator);
        if (!closed) {
          notifyListener(() -> listener.onPeerDisconnected(peer.validator));
        }
      }
    });
    if (old != null && old != ch) {
      countClose(CloseReason.REPLACED);
      old.close();
    }
    synchronized (peer) {
      peer.failures = 0;
    }
    LOG.info("validator {} connected to validator {} at {}", self, peer.validator, ch.remoteAddress());
    notifyListener(() -> listener.onPeerConnected(peer.validator));
  }

  void deliver(int from, ByteString payload) {
    if (!closed) {
      try { // not notifyListener: no capturing lambda per frame
        listener.onMessage(from, payload);
      } catch (RuntimeException e) {
        LOG.error("peer transport listener of validator {} failed", self, e);
      }
    }
  }

  private void notifyListener(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.error("peer transport listener of validator {} failed", self, e);
    }
  }

  void countClose(CloseReason reason) {
    closes.incrementAndGet(reason.ordinal());
  }

  /** The link to another validator. */
  Peer peer(int validator) {
    if (validator < 0 || validator >= peers.length || validator == self) {
      throw new IllegalArgumentException("validator " + validator + " is not another validator of 0.."
          + (peers.length - 1) + " (this is " + self + ")");
    }
    return peers[validator];
  }

  ByteString newChallenge() {
    byte[] c = new byte[Handshake.CHALLENGE_LENGTH];
    random.nextBytes(c);
    return ByteString.copyFrom(c);
  }

  ByteString sign(ByteString statement) {
    return key.sign(statement);
  }

  Chain chain() {
    return chain;
  }

  int self() {
    return self;
  }

  ByteString publicKey() {
    return key.publicKey();
  }

  PeerTransportConfig config() {
    return config;
  }

  /** Builds a {@link NettyPeerTransport}; every setting but the identity has a default. */
  public static final class Builder {
    private final Chain chain;
    private final int self;
    private final KeyPair key;
    private PeerTransportConfig config = PeerTransportConfig.defaults();
    private InetSocketAddress listenAddress;
    private IntFunction<InetSocketAddress> peerAddresses;
    private EventLoopGroup eventLoopGroup;
    private PeerIo io;
    /**
     * One I/O thread for all peer links by default: a validator has few peers and its consensus
     * work is single-threaded anyway, and with one thread the frames a batch sends to several
     * peers are written in one wake-up instead of waking a thread per link. Measured on the
     * four-validator CommitRate ONE_TX cluster: 1,800-1,830 µs CPU per block with one thread,
     * 2,040-2,080 with two.
     */
    private int ioThreads = 1;

    private Builder(Chain chain, int self, KeyPair key) {
      this.chain = Objects.requireNonNull(chain, "chain");
      this.key = Objects.requireNonNull(key, "key");
      if (self < 0 || self >= chain.validatorCount()) {
        throw new IllegalArgumentException("validator index " + self + " is not in genesis 0.."
            + (chain.validatorCount() - 1));
      }
      if (!chain.validators().get(self).getPublicKey().equals(key.publicKey())) {
        throw new IllegalArgumentException("the key " + key + " is not the genesis key of validator " + self);
      }
      this.self = self;
    }

    /** Tuning; default {@link PeerTransportConfig#defaults()}. */
    public Builder config(PeerTransportConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Where to listen; default the genesis {@code peer_address} of this validator. Port 0 picks a free port. */
    public Builder listenAddress(InetSocketAddress address) {
      this.listenAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Where to dial validator i, asked before every dial (null means "not known yet", retried
     * with back-off); default the genesis {@code peer_address}.
     */
    public Builder peerAddresses(IntFunction<InetSocketAddress> addresses) {
      this.peerAddresses = Objects.requireNonNull(addresses, "addresses");
      return this;
    }

    /**
     * A shared event loop group, NIO or epoll ({@link PeerIo#newGroup}), used for accepting and
     * for I/O; its transport decides the channels'. The transport never shuts it down. Default:
     * its own group ({@link #io}, {@link #ioThreads}), shut down by {@link #close()}.
     *
     * @throws IllegalArgumentException when {@code group} is neither NIO nor epoll
     */
    public Builder eventLoopGroup(EventLoopGroup group) {
      PeerIo.of(group);
      this.eventLoopGroup = group;
      return this;
    }

    /** The transport of the transport's own group (ignored with {@link #eventLoopGroup}); default {@link PeerIo#best()}. */
    public Builder io(PeerIo io) {
      this.io = Objects.requireNonNull(io, "io");
      return this;
    }

    /** Threads of the transport's own event loop group (ignored with {@link #eventLoopGroup}). */
    public Builder ioThreads(int threads) {
      if (threads <= 0) {
        throw new IllegalArgumentException("ioThreads must be positive, got " + threads);
      }
      this.ioThreads = threads;
      return this;
    }

    /** The transport, not yet started. */
    public NettyPeerTransport build() {
      return new NettyPeerTransport(this);
    }
  }
}
