package org.fedledger.ledger.chain;

/** Why a transaction failed stateless validation; each reason has its own code. */
public enum TxError {
  /** The bytes are not a serialized Envelope (truncated, random or corrupt). */
  MALFORMED_ENVELOPE,
  /** The envelope is larger than the chain's tx_bytes_max. */
  TX_TOO_LARGE,
  /** The envelope's signer is not 32 bytes or its signature not 64 bytes. */
  BAD_SIGNER_OR_SIGNATURE_LENGTH,
  /** Envelope.body is not a serialized Transaction. */
  MALFORMED_BODY,
  /** Transaction.chain_id is not this chain's id. */
  WRONG_CHAIN,
  /** Transaction.signer differs from Envelope.signer. */
  SIGNER_MISMATCH,
  /**
   * No payload is set, or the payload is a type this version does not know (an unknown oneof
   * field number parses as "not set").
   */
  PAYLOAD_NOT_SET,
  /** The Ed25519 signature does not verify over the body. */
  BAD_SIGNATURE
}
