package org.fedledger.consensus.sim;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.CloseRound;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisValidator;
import org.fedledger.proto.Transaction;

/**
 * A chain of n validators with deterministic keys (seeded by index), and deterministic clients
 * that sign transactions for it. Keys are derived once per n and shared by every simulation.
 */
public final class SimChain {
  /** Chain id of every simulated chain. */
  public static final String CHAIN_ID = "fedledger-sim";
  /** Genesis time: simulated clocks start here. */
  public static final long GENESIS_MILLIS = 1_700_000_000_000L;

  private static final SimChain[] CACHE = new SimChain[16];

  final Chain chain;
  final List<KeyPair> validatorKeys;
  final List<KeyPair> clientKeys;
  final Block genesisBlock;
  final ChainHead genesisHead;
  final Hash genesisStateRoot;
  final TxValidator txValidator;

  private SimChain(int n) {
    List<KeyPair> keys = new ArrayList<>();
    Genesis.Builder g = Genesis.newBuilder().setChainId(CHAIN_ID).setGenesisTimeMillis(GENESIS_MILLIS);
    for (int i = 0; i < n; i++) {
      KeyPair k = Ed25519.fromSeed(seed(1, i));
      keys.add(k);
      g.addValidators(GenesisValidator.newBuilder().setIndex(i).setId("validator-" + i).setPublicKey(k.publicKey())
          .setPeerAddress("sim:" + i).setRpcAddress("sim:" + (1000 + i)));
    }
    this.chain = Chain.of(g.build());
    this.validatorKeys = List.copyOf(keys);
    List<KeyPair> clients = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      clients.add(Ed25519.fromSeed(seed(2, i)));
    }
    this.clientKeys = List.copyOf(clients);
    this.genesisStateRoot = new MemoryState().lattice().root();
    this.genesisBlock = Blocks.genesis(chain, genesisStateRoot);
    this.genesisHead = new ChainHead(0, Blocks.hash(genesisBlock), GENESIS_MILLIS);
    this.txValidator = new TxValidator(chain);
  }

  /** The shared chain of {@code n} validators. */
  public static synchronized SimChain of(int n) {
    if (CACHE[n] == null) {
      CACHE[n] = new SimChain(n);
    }
    return CACHE[n];
  }

  private static byte[] seed(int kind, int index) {
    byte[] s = new byte[32];
    s[0] = (byte) kind;
    s[1] = (byte) index;
    s[31] = 42;
    return s;
  }

  /** The chain. */
  public Chain chain() {
    return chain;
  }

  /** A signed, validated transaction of client {@code client} with {@code nonce}. */
  public ParsedTx tx(int client, long nonce) {
    KeyPair k = clientKeys.get(client);
    Transaction tx = Transaction.newBuilder().setChainId(CHAIN_ID).setSigner(k.publicKey()).setNonce(nonce)
        .setCloseRound(CloseRound.newBuilder().setTaskId("sim-" + client).setRound(nonce)).build();
    ByteString body = tx.toByteString();
    Envelope e = Envelope.newBuilder().setBody(body).setSigner(k.publicKey()).setSignature(k.sign(body)).build();
    return new ParsedTx(Hash.sha256(body), e, tx); // signed just now: what TxValidator would return
  }
}
