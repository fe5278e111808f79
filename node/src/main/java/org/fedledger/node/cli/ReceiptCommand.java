package org.fedledger.node.cli;

import io.grpc.ManagedChannel;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.api.GetReceiptRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.ReceiptResponse;
import org.fedledger.proto.api.WaitForCommitRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fedledger receipt}: the receipt of a committed transaction. */
@Command(name = "receipt", mixinStandardHelpOptions = true,
    description = "Print the receipt of a committed transaction as JSON (NOT_FOUND while pending, unless --wait).")
final class ReceiptCommand implements Callable<Integer> {
  @Mixin
  RpcOptions rpc;

  @Parameters(paramLabel = "TX_ID", description = "Transaction id (64 hex characters).")
  String txId;

  @Option(names = "--wait", description = "Wait until the transaction commits (up to --timeout-ms).")
  boolean waitForCommit;

  @Override
  public Integer call() {
    Hash id = Hash.fromHex(txId);
    ManagedChannel ch = rpc.channel();
    try {
      var stub = LedgerApiGrpc.newBlockingStub(ch).withDeadlineAfter(rpc.timeoutMillis + 1000, TimeUnit.MILLISECONDS);
      ReceiptResponse r = waitForCommit
          ? stub.waitForCommit(WaitForCommitRequest.newBuilder().setTxId(id.bytes()).setTimeoutMillis(rpc.timeoutMillis).build())
          : stub.getReceipt(GetReceiptRequest.newBuilder().setTxId(id.bytes()).build());
      System.out.println(RpcOptions.json(r));
      return 0;
    } finally {
      RpcOptions.close(ch);
    }
  }
}
