package org.fedledger.node.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;
import org.fedledger.node.config.HostPort;
import picocli.CommandLine.Option;

/** The options every client command shares: which validator to talk to and how long to wait. */
final class RpcOptions {
  @Option(names = "--rpc", defaultValue = "127.0.0.1:26700",
      description = "gRPC address of a validator (default: ${DEFAULT-VALUE}, node0 of the testnet).")
  String rpc;

  @Option(names = "--timeout-ms", defaultValue = "10000", description = "Deadline of each call (default: ${DEFAULT-VALUE}).")
  long timeoutMillis;

  /** A plaintext channel to the validator; the caller closes it. */
  ManagedChannel channel() {
    HostPort at = HostPort.parse(rpc);
    return NettyChannelBuilder.forAddress(at.host(), at.port()).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
  }

  static void close(ManagedChannel channel) {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A message as JSON (protobuf's JSON mapping; bytes in base64). */
  static String json(MessageOrBuilder message) {
    try {
      return JsonFormat.printer().preservingProtoFieldNames().print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName(), e);
    }
  }
}
