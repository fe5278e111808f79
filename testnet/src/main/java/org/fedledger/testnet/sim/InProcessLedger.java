package org.fedledger.testnet.sim;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedledger.contracts.fl.FlContract;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.exec.StateView;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.Transaction;

/**
 * A single-process ledger for FL experiments: the real {@link Executor} with the real {@link
 * RegistryContract} and {@link FlContract} over a {@link MemoryState}. Every transaction is
 * signed with Ed25519 and its envelope goes through {@link TxValidator} (signature, chain id,
 * size) before it may enter a block, as on a validator; consensus is replaced by "every
 * {@link #commit()} is the next block". Deterministic: block timestamps and hashes derive
 * from the height. Not thread-safe.
 */
public final class InProcessLedger {
  /** Chain id of the in-process chain. */
  public static final String CHAIN_ID = "fedledger-sim";
  /** Largest transaction accepted (the genesis default). */
  public static final int TX_BYTES_MAX = 2 << 20;
  private static final int NONCE_WINDOW = 1024;

  private final MemoryState state = new MemoryState();
  private final Executor executor = new Executor(List.of(new RegistryContract(), new FlContract()), NONCE_WINDOW);
  private final TxValidator validator = new TxValidator(CHAIN_ID, TX_BYTES_MAX);
  private final TreeMap<ByteString, Long> nonces = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  private final List<ParsedTx> pending = new ArrayList<>();
  private long height;

  /** A chain whose genesis lists {@code admin} as its one ADMIN. */
  public InProcessLedger(KeyPair admin) {
    Genesis genesis = Genesis.newBuilder().setChainId(CHAIN_ID)
        .addAdmins(GenesisAdmin.newBuilder().setName("admin").setPublicKey(admin.publicKey())).build();
    RegistryContract.writeGenesis(genesis, state);
  }

  /**
   * Signs {@code payload} as {@code signer} with its next nonce, checks the envelope like a
   * validator does, and queues it for the next block.
   *
   * @throws IllegalArgumentException if stateless validation refuses it (naming the reason)
   */
  public Envelope submit(KeyPair signer, Transaction.Builder payload) {
    long nonce = nonces.merge(signer.publicKey(), 1L, Long::sum);
    Transaction tx = payload.setChainId(CHAIN_ID).setSigner(signer.publicKey()).setNonce(nonce).build();
    ByteString body = tx.toByteString();
    Envelope envelope = Envelope.newBuilder().setBody(body).setSigner(signer.publicKey())
        .setSignature(signer.sign(body)).build();
    submit(envelope.toByteString());
    return envelope;
  }

  /** Checks a serialized envelope as received from a client and queues it for the next block. */
  public void submit(ByteString rawEnvelope) {
    TxCheck check = validator.check(rawEnvelope);
    if (check instanceof TxCheck.Invalid) {
      TxCheck.Invalid bad = (TxCheck.Invalid) check;
      throw new IllegalArgumentException("transaction refused: " + bad.error() + ": " + bad.message());
    }
    pending.add(((TxCheck.Valid) check).tx());
  }

  /** Executes the queued transactions as the next block, applies its writes, and returns its result. */
  public BlockResult commit() {
    height++;
    BlockContext ctx = new BlockContext(CHAIN_ID, height, 1_000L * height,
        Hash.sha256(ByteString.copyFromUtf8(CHAIN_ID + "/" + height)));
    BlockResult result = executor.execute(ctx, List.copyOf(pending), state, state.lattice());
    pending.clear();
    for (Map.Entry<ByteString, ByteString> w : result.writes().entrySet()) {
      if (w.getValue() == null) {
        state.delete(w.getKey());
      } else {
        state.put(w.getKey(), w.getValue());
      }
    }
    return result;
  }

  /** Submits one transaction, commits it in its own block and returns its receipt. */
  public Receipt run(KeyPair signer, Transaction.Builder payload) {
    submit(signer, payload);
    return commit().receipts().get(0);
  }

  /** The state after the last committed block (read-only use). */
  public StateView state() {
    return state;
  }

  /** Height of the last committed block. */
  public long height() {
    return height;
  }
}
