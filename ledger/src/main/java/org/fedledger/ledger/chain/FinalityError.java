package org.fedledger.ledger.chain;

/** Why a served block was not proved final; each kind of bad or incomplete evidence has its own reason. */
public enum FinalityError {
  /** Block.header is not a serialized BlockHeader. */
  MALFORMED_HEADER,
  /** A header (the block's or one in the proof) names another chain id. */
  WRONG_CHAIN,
  /** The block carries transactions whose Merkle root is not the header's tx_root. */
  TX_ROOT_MISMATCH,
  /** The certificate names another height or block hash than the one it should certify. */
  CERTIFICATE_MISMATCH,
  /** The certificate lists more signatures than there are validators (padded to waste our time). */
  TOO_MANY_SIGNATURES,
  /** Fewer than 2f+1 distinct validators signed the CommitStatement validly. */
  TOO_FEW_SIGNERS,
  /**
   * The block has no certificate of its own and no finality proof: the node serving it has not
   * committed a certified block above it yet. Not evidence of anything wrong; ask again later.
   */
  NO_PROOF,
  /** A header of the finality proof is not a serialized BlockHeader. */
  MALFORMED_PROOF_HEADER,
  /** The proof's headers do not run h+1, h+2, ... each naming the previous one's hash. */
  BROKEN_PROOF_CHAIN,
}
