package org.fedledger.node.rpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server of a validator: the client API services plus gRPC health checking and server
 * reflection, so generic tools (grpcurl, grpc_health_probe) work. Health is NOT_SERVING until
 * {@link #ready()} and again from {@link #shutdown}.
 */
public final class RpcServer implements AutoCloseable {
  /** Largest request accepted: a maximal transaction plus framing. */
  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();

  /**
   * Binds {@code host:port} and starts serving {@code services}.
   *
   * @param maxMessageBytes largest inbound message (above the chain's tx_bytes_max, so that
   *     oversized transactions reach validation and get a useful message)
   */
  public RpcServer(String host, int port, List<BindableService> services, int maxMessageBytes) {
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .maxInboundMessageSize(maxMessageBytes)
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    for (BindableService s : services) {
      b.addService(s);
    }
    health.setStatus("", ServingStatus.NOT_SERVING);
    try {
      server = b.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve gRPC on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** Marks the server (and every service) as serving. */
  public void ready() {
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus("fedledger.v1.LedgerApi", ServingStatus.SERVING);
    health.setStatus("fedledger.v1.FederatedLearningApi", ServingStatus.SERVING);
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /** Stops accepting calls, lets running ones finish for up to {@code graceMillis}. */
  public void shutdown(long graceMillis) {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    shutdown(0);
  }
}
