package org.fedledger.node.rpc;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gRPC server of a validator: the client API services plus gRPC health checking and server
 * reflection, so generic tools (grpcurl, grpc_health_probe) work. Health is NOT_SERVING until
 * {@link #ready()} and again from {@link #shutdown}.
 *
 * <p><b>Threads.</b> Handlers run on this server's own fixed pool of {@link #handlerThreads()}
 * threads ({@code fedledger-grpc-N}), not on gRPC's default executor (a cached pool shared by
 * every server and channel of the JVM, which grows a thread for each call that finds none idle:
 * ~30 threads under a closed-loop client, each call's callbacks waking whichever is free). The
 * handlers are CPU-bound (a submission verifies Ed25519 signatures: ~50 µs each, 50 ms for a
 * full batch) or read RocksDB (which may wait on the disk), and none blocks on another call
 * (waits and streams are driven by timers and the commit feed), so as many threads as cores do
 * all the work there is, with fewer wake-ups. They are not run on the Netty event loops
 * ({@code directExecutor}): a batch's verification or a disk read there would stall every other
 * connection of that loop. Under a flood, calls wait in the pool's queue instead of each
 * growing a thread (gRPC's flow control still bounds the bytes each call buffers). A client
 * submitting many transactions should batch them ({@code SubmitTransactions}): one call of 64
 * costs about what one call of one does in gRPC and thread hand-offs.
 */
public final class RpcServer implements AutoCloseable {
  private final Server server;
  private final ExecutorService handlers;
  private final HealthStatusManager health = new HealthStatusManager();

  /**
   * Binds {@code host:port} and starts serving {@code services}.
   *
   * @param maxMessageBytes largest inbound message (above the chain's tx_bytes_max, so that
   *     oversized transactions reach validation and get a useful message)
   */
  public RpcServer(String host, int port, List<BindableService> services, int maxMessageBytes) {
    int threads = handlerThreads();
    AtomicInteger created = new AtomicInteger();
    handlers = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "fedledger-grpc-" + port + "-" + created.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .executor(handlers)
        .maxInboundMessageSize(maxMessageBytes)
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    for (BindableService s : services) {
      b.addService(withInvalidArgumentOnGarbage(s.bindService()));
    }
    health.setStatus("", ServingStatus.NOT_SERVING);
    try {
      server = b.build().start();
    } catch (IOException e) {
      handlers.shutdownNow();
      throw new UncheckedIOException("cannot serve gRPC on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** Handler threads of one server: the number of cores, at least two. */
  static int handlerThreads() {
    return Math.max(2, Runtime.getRuntime().availableProcessors());
  }

  /** A request that did not parse (stands in for the message so the handler can refuse it). */
  private record Garbage(String reason) {}

  /**
   * Requests that do not parse are the client's fault: answer INVALID_ARGUMENT naming the
   * method (gRPC would answer UNKNOWN for a marshaller failure).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static ServerServiceDefinition withInvalidArgumentOnGarbage(ServerServiceDefinition def) {
    ServiceDescriptor old = def.getServiceDescriptor();
    ServiceDescriptor.Builder sd = ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
      MethodDescriptor md = m.getMethodDescriptor();
      MethodDescriptor.Marshaller inner = md.getRequestMarshaller();
      String method = md.getFullMethodName();
      String prefix = method.endsWith("/SubmitTransaction") ? "MALFORMED_ENVELOPE: "
          : method.endsWith("/SubmitTransactions") ? "BAD_BATCH: " : "";
      MethodDescriptor.Marshaller checked = new MethodDescriptor.Marshaller() {
        @Override
        public InputStream stream(Object value) {
          return inner.stream(value);
        }

        @Override
        public Object parse(InputStream stream) {
          try {
            return inner.parse(stream);
          } catch (RuntimeException e) {
            return new Garbage(prefix + "the request of " + method + " is not a valid protobuf message");
          }
        }
      };
      MethodDescriptor wrapped = md.toBuilder().setRequestMarshaller(checked).build();
      ServerCallHandler handler = m.getServerCallHandler();
      ServerCallHandler refusing = (call, headers) -> {
        ServerCall.Listener delegate = handler.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener(delegate) {
          private boolean refused;

          @Override
          public void onMessage(Object message) {
            if (message instanceof Garbage g) {
              refused = true;
              call.close(Status.INVALID_ARGUMENT.withDescription(g.reason()), new Metadata());
              return;
            }
            super.onMessage(message);
          }

          @Override
          public void onHalfClose() {
            if (!refused) {
              super.onHalfClose();
            }
          }

          @Override
          public void onReady() {
            if (!refused) {
              super.onReady();
            }
          }
        };
      };
      sd.addMethod(wrapped);
      methods.add(ServerMethodDefinition.create(wrapped, refusing));
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(sd.build());
    for (ServerMethodDefinition<?, ?> m : methods) {
      b.addMethod(m);
    }
    return b.build();
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
        server.awaitTermination(Math.max(graceMillis, 100), TimeUnit.MILLISECONDS); // cancelled calls' callbacks
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      handlers.shutdown(); // after the server: its last calls' callbacks still run there
    }
  }

  @Override
  public void close() {
    shutdown(0);
  }
}
