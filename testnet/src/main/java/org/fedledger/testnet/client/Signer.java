package org.fedledger.testnet.client;

import com.google.protobuf.ByteString;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Transaction;

/**
 * Signs transactions for one key on one chain. Nonces start at {@code firstNonce} and go up
 * by one per transaction; a client that restarts should start above every nonce it used
 * (the demo starts at the current time in microseconds, which any restart exceeds).
 * Thread-safe.
 */
public final class Signer {
  private final KeyPair key;
  private final String chainId;
  private long nextNonce;

  /** A signer for {@code key} on {@code chainId}. */
  public Signer(KeyPair key, String chainId, long firstNonce) {
    this.key = key;
    this.chainId = chainId;
    this.nextNonce = firstNonce;
  }

  /** The public key. */
  public ByteString publicKey() {
    return key.publicKey();
  }

  /** {@code payload} with chain id, signer and the next nonce, signed over its exact body bytes. */
  public synchronized Envelope sign(Transaction.Builder payload) {
    Transaction tx = payload.setChainId(chainId).setSigner(key.publicKey()).setNonce(nextNonce++).build();
    ByteString body = tx.toByteString();
    return Envelope.newBuilder().setBody(body).setSigner(key.publicKey()).setSignature(key.sign(body)).build();
  }
}
