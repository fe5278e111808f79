package org.fedledger.node.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.node.rpc.LedgerService;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.GetGenesisRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.ReceiptResponse;
import org.fedledger.proto.api.SubmitResult;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.SubmitTransactionsRequest;
import org.fedledger.proto.api.WaitForCommitRequest;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fedledger submit}: signs a transaction with a key file and submits it. The payload is
 * either a JSON file (a Transaction in protobuf JSON; chain id, signer and nonce are filled in)
 * or a participant registration given by flags. With {@code --tx-jsonl} a file of such payloads,
 * one per line, is signed with consecutive nonces and submitted with SubmitTransactions in
 * batches of up to {@link LedgerService#SUBMIT_BATCH_MAX}; one line is printed per transaction,
 * and the exit code is 1 if any was refused.
 */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = {"Sign a transaction with --key and submit it; prints the transaction id (and the receipt with --wait).",
        "Chain id comes from the validator's genesis, the signer from the key, the nonce from the clock unless --nonce."})
final class SubmitCommand implements Callable<Integer> {
  @Mixin
  RpcOptions rpc;

  @Option(names = "--key", required = true, description = "Key file of the signer.")
  Path key;

  @Option(names = "--nonce", description = "Nonce (default: current time in microseconds).")
  Long nonce;

  @Option(names = "--wait", description = "Wait for the commit and print the receipt.")
  boolean waitForCommit;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Payload payload;

  static final class Payload {
    @Option(names = "--tx-json", description = "File with a Transaction payload in protobuf JSON, e.g. {\"register_participant\": {...}}.")
    Path json;

    @Option(names = "--tx-jsonl", description = {"File with one Transaction payload in protobuf JSON per line (blank lines skipped),",
        "signed with nonces --nonce, --nonce + 1, ... and submitted in batches of up to " + LedgerService.SUBMIT_BATCH_MAX + ";",
        "prints '<tx id> accepted' or '<tx id> refused <CODE>: <reason>' per line, in order."})
    Path jsonLines;

    @ArgGroup(exclusive = false)
    Register register;
  }

  static final class Register {
    @Option(names = "--register", required = true, description = "Register a participant with this name.")
    String name;

    @Option(names = "--role", required = true, description = "Its role: ${COMPLETION-CANDIDATES}.")
    Role role;

    @Option(names = "--public-key", required = true, description = "Its public key (64 hex characters).")
    String publicKey;

    @Option(names = "--consent", description = "Data-use consent recorded.")
    boolean consent;
  }

  @Override
  public Integer call() throws IOException {
    KeyPair signer = KeyFile.read(key);
    if (payload.jsonLines != null) {
      return submitLines(signer);
    }
    Transaction.Builder tx = Transaction.newBuilder();
    if (payload.json != null) {
      try {
        JsonFormat.parser().merge(Files.readString(payload.json, StandardCharsets.UTF_8), tx);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(payload.json + " is not a Transaction in JSON: " + e.getMessage(), e);
      }
    } else {
      tx.setRegisterParticipant(RegisterParticipant.newBuilder().setName(payload.register.name)
          .setRole(payload.register.role).setPublicKey(Keys.fromHex(payload.register.publicKey))
          .setConsent(payload.register.consent));
    }
    ManagedChannel ch = rpc.channel();
    try {
      var stub = LedgerApiGrpc.newBlockingStub(ch);
      Genesis genesis = stub.withDeadlineAfter(rpc.timeoutMillis, TimeUnit.MILLISECONDS)
          .getGenesis(GetGenesisRequest.getDefaultInstance());
      tx.setChainId(genesis.getChainId()).setSigner(signer.publicKey())
          .setNonce(nonce != null ? nonce : TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
      var body = tx.build().toByteString();
      Envelope env = Envelope.newBuilder().setBody(body).setSigner(signer.publicKey()).setSignature(signer.sign(body)).build();
      stub.withDeadlineAfter(rpc.timeoutMillis, TimeUnit.MILLISECONDS)
          .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
      Hash id = Hash.sha256(body);
      System.out.println(id.hex());
      if (waitForCommit) {
        ReceiptResponse r = stub.withDeadlineAfter(rpc.timeoutMillis + 1000, TimeUnit.MILLISECONDS)
            .waitForCommit(WaitForCommitRequest.newBuilder().setTxId(id.bytes()).setTimeoutMillis(rpc.timeoutMillis).build());
        System.out.println(RpcOptions.json(r));
      }
      return 0;
    } finally {
      RpcOptions.close(ch);
    }
  }

  /** {@code --tx-jsonl}: every line signed and submitted in batches; 1 if any was refused. */
  private int submitLines(KeyPair signer) throws IOException {
    List<Transaction.Builder> txs = new ArrayList<>();
    List<String> lines = Files.readAllLines(payload.jsonLines, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      Transaction.Builder tx = Transaction.newBuilder();
      try {
        JsonFormat.parser().merge(lines.get(i), tx);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(payload.jsonLines + " line " + (i + 1) + " is not a Transaction in JSON: "
            + e.getMessage(), e);
      }
      txs.add(tx);
    }
    if (txs.isEmpty()) {
      throw new IllegalArgumentException(payload.jsonLines + " holds no transaction");
    }
    ManagedChannel ch = rpc.channel();
    try {
      var stub = LedgerApiGrpc.newBlockingStub(ch);
      String chainId = stub.withDeadlineAfter(rpc.timeoutMillis, TimeUnit.MILLISECONDS)
          .getGenesis(GetGenesisRequest.getDefaultInstance()).getChainId();
      long first = nonce != null ? nonce : TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
      List<Hash> accepted = new ArrayList<>();
      boolean refused = false;
      for (int from = 0; from < txs.size(); from += LedgerService.SUBMIT_BATCH_MAX) {
        SubmitTransactionsRequest.Builder batch = SubmitTransactionsRequest.newBuilder();
        for (int i = from; i < Math.min(txs.size(), from + LedgerService.SUBMIT_BATCH_MAX); i++) {
          var body = txs.get(i).setChainId(chainId).setSigner(signer.publicKey()).setNonce(first + i).build().toByteString();
          batch.addEnvelopes(Envelope.newBuilder().setBody(body).setSigner(signer.publicKey()).setSignature(signer.sign(body)));
        }
        var response = stub.withDeadlineAfter(rpc.timeoutMillis, TimeUnit.MILLISECONDS).submitTransactions(batch.build());
        for (SubmitResult r : response.getResultsList()) {
          Hash id = Hash.of(r.getTxId());
          if (r.getAccepted()) {
            accepted.add(id);
            System.out.println(id.hex() + " accepted");
          } else {
            refused = true;
            System.out.println(id.hex() + " refused " + Status.fromCodeValue(r.getCode()).getCode() + ": " + r.getReason());
          }
        }
      }
      if (waitForCommit) {
        for (Hash id : accepted) {
          ReceiptResponse r = stub.withDeadlineAfter(rpc.timeoutMillis + 1000, TimeUnit.MILLISECONDS)
              .waitForCommit(WaitForCommitRequest.newBuilder().setTxId(id.bytes()).setTimeoutMillis(rpc.timeoutMillis).build());
          System.out.println(id.hex() + " committed at height " + r.getReceipt().getHeight() + ": "
              + r.getReceipt().getStatus() + (r.getReceipt().getCode().isEmpty() ? "" : " " + r.getReceipt().getCode()));
        }
      }
      return refused ? 1 : 0;
    } finally {
      RpcOptions.close(ch);
    }
  }
}
