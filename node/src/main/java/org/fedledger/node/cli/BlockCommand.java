package org.fedledger.node.cli;

import io.grpc.ManagedChannel;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.api.GetBlockRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code fedledger block}: a committed block with its header decoded and its certificate. */
@Command(name = "block", mixinStandardHelpOptions = true,
    description = "Print a committed block (latest by default) with its decoded header and commit certificate, as JSON.")
final class BlockCommand implements Callable<Integer> {
  @Mixin
  RpcOptions rpc;

  @ArgGroup(exclusive = true)
  Selector selector;

  static final class Selector {
    @picocli.CommandLine.Option(names = "--height", description = "Block height.")
    Long height;

    @picocli.CommandLine.Option(names = "--hash", description = "Block hash (64 hex characters).")
    String hash;
  }

  @Override
  public Integer call() throws Exception {
    GetBlockRequest.Builder req = GetBlockRequest.newBuilder();
    if (selector == null) {
      req.setLatest(true);
    } else if (selector.height != null) {
      req.setHeight(selector.height);
    } else {
      req.setHash(Hash.fromHex(selector.hash).bytes());
    }
    ManagedChannel ch = rpc.channel();
    try {
      CertifiedBlock b = LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(rpc.timeoutMillis, TimeUnit.MILLISECONDS)
          .getBlock(req.build());
      BlockHeader h = BlockHeader.parseFrom(b.getBlock().getHeader());
      System.out.println("{\"hash\": \"" + Hash.sha256(b.getBlock().getHeader()).hex() + "\",");
      System.out.println(" \"header\": " + RpcOptions.json(h) + ",");
      System.out.println(" \"tx_count\": " + b.getBlock().getTransactionsCount() + ",");
      System.out.println(" \"certificate\": " + RpcOptions.json(b.getCertificate()) + "}");
      return 0;
    } finally {
      RpcOptions.close(ch);
    }
  }
}
