package org.fedledger.ledger;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;

/** Deterministic keys, a 4-validator genesis and signed transactions for the ledger's tests. */
public final class TestLedger {
  /** The test chain's id. */
  public static final String CHAIN_ID = "test-chain";
  /** The genesis admin's key. */
  public static final KeyPair ADMIN = key(100);

  private TestLedger() {}

  /** The deterministic key pair number {@code i}. */
  public static KeyPair key(int i) {
    byte[] seed = new byte[32];
    seed[0] = (byte) (i >>> 24);
    seed[1] = (byte) (i >>> 16);
    seed[2] = (byte) (i >>> 8);
    seed[3] = (byte) i;
    seed[31] = 0x5e;
    return Ed25519.fromSeed(seed);
  }

  /** A genesis with validators 0..3 (keys 0..3) and {@link #ADMIN} as the only admin. */
  public static Genesis.Builder genesis() {
    Genesis.Builder g = Genesis.newBuilder().setChainId(CHAIN_ID).setGenesisTimeMillis(1_000_000L);
    for (int i = 0; i < 4; i++) {
      g.addValidators(GenesisValidator.newBuilder().setIndex(i).setId("validator-" + i)
          .setPublicKey(key(i).publicKey()).setPeerAddress("127.0.0.1:" + (7000 + i)));
    }
    g.addAdmins(GenesisAdmin.newBuilder().setName("admin").setPublicKey(ADMIN.publicKey()));
    return g;
  }

  /** The chain of {@link #genesis()}. */
  public static Chain chain() {
    return Chain.of(genesis().build());
  }

  /** A transaction of the test chain by {@code signer} with {@code nonce}; the payload is set by the caller. */
  public static Transaction.Builder tx(KeyPair signer, long nonce) {
    return Transaction.newBuilder().setChainId(CHAIN_ID).setSigner(signer.publicKey()).setNonce(nonce);
  }

  /** A RegisterParticipant transaction by {@code signer} registering {@code who}. */
  public static Transaction register(KeyPair signer, long nonce, KeyPair who, Role role) {
    return tx(signer, nonce).setRegisterParticipant(RegisterParticipant.newBuilder()
        .setPublicKey(who.publicKey()).setName("p-" + who.publicKey().byteAt(0)).setRole(role).setConsent(true))
        .build();
  }

  /** {@code tx} signed by {@code signer}. */
  public static Envelope sign(KeyPair signer, Transaction tx) {
    ByteString body = tx.toByteString();
    return Envelope.newBuilder().setBody(body).setSigner(signer.publicKey()).setSignature(signer.sign(body)).build();
  }

  /** {@code tx} signed by {@code signer} and validated against {@link #chain()}; fails if invalid. */
  public static ParsedTx parsed(KeyPair signer, Transaction tx) {
    TxCheck c = new TxValidator(chain()).check(sign(signer, tx).toByteString());
    if (!(c instanceof TxCheck.Valid v)) {
      throw new AssertionError("test transaction invalid: " + c);
    }
    return v.tx();
  }

  /** Signs and validates every transaction, all by {@code signer}. */
  public static List<ParsedTx> parsedAll(KeyPair signer, List<Transaction> txs) {
    List<ParsedTx> out = new ArrayList<>();
    for (Transaction t : txs) {
      out.add(parsed(signer, t));
    }
    return out;
  }
}
