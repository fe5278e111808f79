package org.fedledger.node;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.fedledger.proto.api.GetStatusRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.NodeStatus;

/** gRPC client helpers for tests. */
public final class Clients {
  private Clients() {}

  /** A plaintext channel to {@code 127.0.0.1:port}. */
  public static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /** The status of the node at {@code port}. */
  public static NodeStatus status(ManagedChannel ch) {
    return LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
        .getStatus(GetStatusRequest.getDefaultInstance());
  }

  /**
   * Waits until {@code condition} holds, polling; fails with {@code what} after
   * {@code timeoutMillis} (a liveness bound, not a timing assertion).
   */
  public static void await(String what, long timeoutMillis, BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for: " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what);
      }
    }
  }
}
