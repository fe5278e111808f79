package org.fedledger.node.cli;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.chain.FinalityCheck;
import org.fedledger.ledger.chain.FinalityError;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.api.GetBlockRequest;
import org.fedledger.proto.api.GetGenesisRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fedledger block}: a committed block with its header decoded, its certificate, the
 * finality proof the node attached (if any), and whether the block is proved final.
 */
@Command(name = "block", mixinStandardHelpOptions = true,
    description = {"Print a committed block (latest by default) with its decoded header, commit certificate and"
        + " finality proof, as JSON, and check that it is final: by its own certificate (2f+1 validator"
        + " signatures) or, for a block without one, by the headers up to a certified block above it.",
        "Exit code 1 if the node served evidence that does not verify; a block not provable yet"
        + " (the uncertified tail of the chain) prints \"final\": false and exits 0."})
final class BlockCommand implements Callable<Integer> {
  @Mixin
  RpcOptions rpc;

  @ArgGroup(exclusive = true)
  Selector selector;

  @Option(names = "--genesis", description = "genesis.json to check against (default: the genesis the node serves).")
  Path genesis;

  static final class Selector {
    @Option(names = "--height", description = "Block height.")
    Long height;

    @Option(names = "--hash", description = "Block hash (64 hex characters).")
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
    Chain chain = genesis == null ? null : GenesisFile.load(genesis);
    ManagedChannel ch = rpc.channel();
    try {
      LedgerApiGrpc.LedgerApiBlockingStub stub = LedgerApiGrpc.newBlockingStub(ch)
          .withDeadlineAfter(rpc.timeoutMillis, TimeUnit.MILLISECONDS);
      CertifiedBlock b = stub.getBlock(req.build());
      if (chain == null) {
        chain = Chain.of(stub.getGenesis(GetGenesisRequest.getDefaultInstance()));
      }
      BlockHeader h = BlockHeader.parseFrom(b.getBlock().getHeader());
      System.out.println("{\"hash\": \"" + Hash.sha256(b.getBlock().getHeader()).hex() + "\",");
      System.out.println(" \"header\": " + RpcOptions.json(h) + ",");
      System.out.println(" \"tx_count\": " + b.getBlock().getTransactionsCount() + ",");
      System.out.println(" \"certificate\": " + RpcOptions.json(b.getCertificate()) + ",");
      if (b.hasProof()) {
        System.out.println(" \"proof\": {\"headers\": " + b.getProof().getHeadersCount() + ", \"certificate\": "
            + RpcOptions.json(b.getProof().getCertificate()) + "},");
      }
      FinalityCheck check = new Finality(chain).check(b);
      System.out.println(" \"finality\": " + describe(check) + "}");
      return check.ok() || ((FinalityCheck.NotProved) check).error() == FinalityError.NO_PROOF ? 0 : 1;
    } finally {
      RpcOptions.close(ch);
    }
  }

  private static String describe(FinalityCheck check) {
    if (check instanceof FinalityCheck.Final f) {
      return "{\"final\": true, \"by\": \"" + (f.selfCertified() ? "its own certificate"
          : "the certificate of block " + f.certifiedHeight() + " and the headers up to it") + "\"}";
    }
    FinalityCheck.NotProved n = (FinalityCheck.NotProved) check;
    return "{\"final\": false, \"reason\": \"" + n.error() + "\", \"message\": \"" + jsonEscape(n.message()) + "\"}";
  }

  private static String jsonEscape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
