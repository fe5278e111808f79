package org.fedledger.node.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.api.GetStatusRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.NodeStatus;
import org.fedledger.proto.api.PeerStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fedledger status}: height, view, leader and peers of one or more validators. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show height, view, leader, peers and mempool of validators (one line each).")
final class StatusCommand implements Callable<Integer> {
  @Mixin
  RpcOptions rpc;

  @Parameters(arity = "0..*", paramLabel = "ADDRESS", description = "gRPC addresses (default: --rpc).")
  List<String> addresses;

  @Option(names = "--json", description = "Print each status as JSON.")
  boolean json;

  @Override
  public Integer call() {
    List<String> targets = addresses == null || addresses.isEmpty() ? List.of(rpc.rpc) : addresses;
    int down = 0;
    for (String target : targets) {
      rpc.rpc = target;
      ManagedChannel ch = rpc.channel();
      try {
        NodeStatus s = LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(rpc.timeoutMillis, TimeUnit.MILLISECONDS)
            .getStatus(GetStatusRequest.getDefaultInstance());
        System.out.println(json ? RpcOptions.json(s) : line(target, s));
      } catch (StatusRuntimeException e) {
        down++;
        System.out.println(target + "  DOWN (" + e.getStatus().getCode() + ")");
      } finally {
        RpcOptions.close(ch);
      }
    }
    return down == 0 ? 0 : 3;
  }

  static String line(String target, NodeStatus s) {
    long connected = s.getPeersList().stream().filter(PeerStatus::getConnected).count();
    return String.format("%-16s %-22s height=%-7d view=%-4d leader=%-2d peers=%d/%d mempool=%-6d head=%s%s",
        s.getSelfId(), target, s.getHeight(), s.getView(), s.getLeader(), connected, s.getPeersCount(),
        s.getMempoolSize(), s.getHeadHash().size() == Hash.LENGTH ? Hash.of(s.getHeadHash()).shortHex() : "-",
        s.getSyncing() ? " SYNCING" : "");
  }
}
