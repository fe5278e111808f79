package org.fedledger.ledger.chain;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Transaction;

/**
 * Stateless transaction validation: everything that can be checked without the ledger state
 * (size, structure, chain id, signer consistency, payload presence, signature). Nonces and
 * permissions are stateful and checked by the executor and the contracts.
 *
 * <p>Never throws on bad input: every refusal is a {@link TxCheck.Invalid} with a specific
 * {@link TxError}. Signatures are verified over {@code Envelope.body} exactly as received.
 * Thread-safe (immutable).
 */
public final class TxValidator {
  private final String chainId;
  private final int txBytesMax;

  /** A validator for {@code chain}'s id and size limit. */
  public TxValidator(Chain chain) {
    this(chain.chainId(), chain.txBytesMax());
  }

  /** A validator for {@code chainId} that refuses envelopes larger than {@code txBytesMax}. */
  public TxValidator(String chainId, int txBytesMax) {
    this.chainId = chainId;
    this.txBytesMax = txBytesMax;
  }

  /** Validates a serialized Envelope as received from a client or peer. */
  public TxCheck check(ByteString raw) {
    if (raw.size() > txBytesMax) {
      return invalid(TxError.TX_TOO_LARGE, raw.size() + " bytes exceed tx_bytes_max " + txBytesMax);
    }
    Envelope envelope;
    try {
      envelope = Envelope.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      return invalid(TxError.MALFORMED_ENVELOPE, "not an Envelope: " + e.getMessage());
    }
    return checkParsed(envelope, raw.size(), null);
  }

  /** Validates a serialized Envelope given as a byte array. */
  public TxCheck check(byte[] raw) {
    return check(ByteString.copyFrom(raw));
  }

  /** Validates an envelope already parsed (e.g. as part of a block). */
  public TxCheck check(Envelope envelope) {
    return checkParsed(envelope, envelope.getSerializedSize(), null);
  }

  /**
   * Validates an envelope already parsed whose id the caller has already computed (e.g. to find
   * duplicates before paying for a signature check), so that its body is hashed once: a valid
   * one's {@link ParsedTx#id()} is {@code id}. The caller guarantees {@code id} is
   * {@code SHA-256(envelope.body)} (as {@link Hash#sha256} computes it); it is not checked.
   */
  public TxCheck check(Envelope envelope, Hash id) {
    return checkParsed(envelope, envelope.getSerializedSize(), java.util.Objects.requireNonNull(id, "id"));
  }

  /** {@code id} is the envelope's id when the caller computed it, else null (computed here if valid). */
  private TxCheck checkParsed(Envelope envelope, int size, Hash id) {
    if (size > txBytesMax) {
      return invalid(TxError.TX_TOO_LARGE, size + " bytes exceed tx_bytes_max " + txBytesMax);
    }
    if (envelope.getSigner().size() != Ed25519.PUBLIC_KEY_LENGTH
        || envelope.getSignature().size() != Ed25519.SIGNATURE_LENGTH) {
      return invalid(TxError.BAD_SIGNER_OR_SIGNATURE_LENGTH, "signer must be 32 bytes and signature 64, got "
          + envelope.getSigner().size() + " and " + envelope.getSignature().size());
    }
    Transaction tx;
    try {
      tx = Transaction.parseFrom(envelope.getBody());
    } catch (InvalidProtocolBufferException e) {
      return invalid(TxError.MALFORMED_BODY, "body is not a Transaction: " + e.getMessage());
    }
    if (!tx.getChainId().equals(chainId)) {
      return invalid(TxError.WRONG_CHAIN, "chain id '" + abbreviate(tx.getChainId()) + "' is not '" + chainId + "'");
    }
    if (!tx.getSigner().equals(envelope.getSigner())) {
      return invalid(TxError.SIGNER_MISMATCH, "Transaction.signer differs from Envelope.signer");
    }
    if (tx.getPayloadCase() == Transaction.PayloadCase.PAYLOAD_NOT_SET) {
      return invalid(TxError.PAYLOAD_NOT_SET, "no payload, or a payload type this node does not know");
    }
    if (!Ed25519.verify(envelope.getSigner(), envelope.getBody(), envelope.getSignature())) {
      return invalid(TxError.BAD_SIGNATURE, "signature does not verify");
    }
    return new TxCheck.Valid(new ParsedTx(id != null ? id : Hash.sha256(envelope.getBody()), envelope, tx));
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  private static TxCheck invalid(TxError error, String message) {
    return new TxCheck.Invalid(error, message);
  }
}
