package org.fedledger.ledger.chain;

import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.BlockHeader;

/** The outcome of {@link Finality#check}: the block is final, or a specific reason it was not proved so. */
public sealed interface FinalityCheck permits FinalityCheck.Final, FinalityCheck.NotProved {
  /** True when the block was proved final. */
  boolean ok();

  /**
   * A block proved final.
   *
   * @param header the block's parsed header
   * @param hash the block's hash (SHA-256 of its header bytes)
   * @param certifiedHeight the height whose commit certificate proved it: the block's own height
   *     when it carried a certificate, the top of the finality proof otherwise
   */
  record Final(BlockHeader header, Hash hash, long certifiedHeight) implements FinalityCheck {
    @Override
    public boolean ok() {
      return true;
    }

    /** True when the block's own certificate proved it (no header chain was needed). */
    public boolean selfCertified() {
      return certifiedHeight == header.getHeight();
    }
  }

  /** A block that was not proved final, with the reason and a message for people. */
  record NotProved(FinalityError error, String message) implements FinalityCheck {
    @Override
    public boolean ok() {
      return false;
    }

    @Override
    public String toString() {
      return error + ": " + message;
    }
  }
}
