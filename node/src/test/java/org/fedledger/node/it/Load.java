package org.fedledger.node.it;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.TestChain;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitTransactionRequest;

/**
 * Client load: each signer (an ADMIN) registers fresh participants with consecutive nonces.
 * A submission is retried (same bytes) until a validator accepts it or says it already has it.
 */
final class Load {
  private static final AtomicInteger PARTICIPANTS = new AtomicInteger(10_000);

  private final String chainId;
  private final KeyPair signer;
  private final AtomicLong nonce = new AtomicLong();

  Load(String chainId, KeyPair signer) {
    this.chainId = chainId;
    this.signer = signer;
  }

  /** The next registration transaction of this signer. */
  Envelope next(String name) {
    int p = PARTICIPANTS.incrementAndGet();
    return TestChain.sign(signer, Transaction.newBuilder().setChainId(chainId).setNonce(nonce.incrementAndGet())
        .setRegisterParticipant(RegisterParticipant.newBuilder().setName(name + "-" + p).setRole(Role.HOSPITAL)
            .setPublicKey(TestChain.key(p).publicKey())));
  }

  static ByteString id(Envelope env) {
    return Hash.sha256(env.getBody()).bytes();
  }

  /**
   * Submits {@code env} to the first validator in {@code order} that takes it, retrying on
   * UNAVAILABLE / RESOURCE_EXHAUSTED; fails on any other refusal.
   */
  static void submit(ProcessCluster cluster, List<Integer> order, Envelope env) {
    for (int attempt = 0; attempt < 600; attempt++) {
      int v = order.get(attempt % order.size());
      try {
        LedgerApiGrpc.newBlockingStub(cluster.channel(v)).withDeadlineAfter(10, TimeUnit.SECONDS)
            .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
        return;
      } catch (StatusRuntimeException e) {
        Status.Code c = e.getStatus().getCode();
        if (c == Status.Code.ALREADY_EXISTS) {
          return;
        }
        if (c != Status.Code.UNAVAILABLE && c != Status.Code.RESOURCE_EXHAUSTED && c != Status.Code.DEADLINE_EXCEEDED) {
          throw new AssertionError("validator " + v + " refused a valid transaction: " + e.getStatus(), e);
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", ie);
        }
      }
    }
    throw new AssertionError("no validator accepted transaction " + Hash.of(id(env)).shortHex());
  }
}
