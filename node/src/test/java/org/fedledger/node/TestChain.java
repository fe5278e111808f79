package org.fedledger.node;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.ValidatorSignature;

/** A deterministic test chain: n validators and one admin from fixed seeds. */
public record TestChain(Chain chain, List<KeyPair> validators, KeyPair admin) {
  /** The chain id. */
  public static final String CHAIN_ID = "test-chain";

  /** A chain of {@code n} validators with addresses on loopback from {@code basePort}. */
  public static TestChain of(int n, int basePort) {
    List<KeyPair> keys = new ArrayList<>();
    Genesis.Builder g = Genesis.newBuilder().setChainId(CHAIN_ID).setGenesisTimeMillis(1_700_000_000_000L);
    for (int i = 0; i < n; i++) {
      KeyPair k = key(i + 1);
      keys.add(k);
      g.addValidators(GenesisValidator.newBuilder().setIndex(i).setId("validator-" + i).setPublicKey(k.publicKey())
          .setPeerAddress("127.0.0.1:" + (basePort + i)).setRpcAddress("127.0.0.1:" + (basePort + 100 + i)));
    }
    KeyPair admin = key(100);
    g.addAdmins(GenesisAdmin.newBuilder().setName("admin").setPublicKey(admin.publicKey()));
    return new TestChain(Chain.of(g.build()), keys, admin);
  }

  /** The key from seed {@code i}. */
  public static KeyPair key(int i) {
    byte[] seed = new byte[32];
    seed[0] = (byte) i;
    seed[1] = (byte) (i >> 8);
    seed[31] = 7;
    return Ed25519.fromSeed(seed);
  }

  /** A signed envelope of {@code tx} by {@code signer} (chain id and signer filled in). */
  public static Envelope sign(KeyPair signer, Transaction.Builder tx) {
    ByteString body = tx.setSigner(signer.publicKey()).build().toByteString();
    return Envelope.newBuilder().setBody(body).setSigner(signer.publicKey()).setSignature(signer.sign(body)).build();
  }

  /**
   * The commit certificate of {@code blockHash} at {@code height} in view 0: signed by the first
   * 2f+1 validators when {@code certified}, otherwise without signatures (what consensus stores
   * for a block it did not certify).
   */
  public CommitCertificate certificate(long height, Hash blockHash, boolean certified) {
    CommitCertificate.Builder c = CommitCertificate.newBuilder().setView(0).setHeight(height).setBlockHash(blockHash.bytes());
    if (certified) {
      ByteString statement = Finality.commitStatement(CHAIN_ID, 0, height, blockHash.bytes());
      for (int i = 0; i < Finality.quorum(validators.size()); i++) {
        c.addSignatures(ValidatorSignature.newBuilder().setValidator(i).setSignature(validators.get(i).sign(statement)));
      }
    }
    return c.build();
  }

  /** The admin registering participant {@code i} (a hospital), with nonce {@code nonce}. */
  public Envelope register(int i, long nonce) {
    return sign(admin, Transaction.newBuilder().setChainId(CHAIN_ID).setNonce(nonce)
        .setRegisterParticipant(RegisterParticipant.newBuilder().setName("hospital-" + i).setRole(Role.HOSPITAL)
            .setPublicKey(key(1000 + i).publicKey()).setConsent(true)));
  }
}
