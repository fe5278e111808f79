package org.fedledger.ledger.chain;

import org.fedledger.ledger.crypto.Hash;

/**
 * The newest block of a chain as the next block must extend it: its height, its hash and its
 * timestamp (the next block's timestamp may not be earlier).
 */
public record ChainHead(long height, Hash hash, long timestampMillis) {
  /** Checks that the fields are present and non-negative. */
  public ChainHead {
    if (height < 0 || timestampMillis < 0 || hash == null) {
      throw new IllegalArgumentException("bad chain head " + height + " " + hash + " " + timestampMillis);
    }
  }
}
