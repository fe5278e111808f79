package org.fedledger.ledger.crypto;

import java.security.MessageDigest;
import java.util.List;

/**
 * Merkle tree hash as in RFC 6962 §2.1: leaves are hashed as {@code H(0x00 || leaf)}, interior
 * nodes as {@code H(0x01 || left || right)}, and a list of n &gt; 1 leaves splits at the largest
 * power of two smaller than n. The domain-separation bytes stop a leaf from being passed off
 * as an interior node; the split rule gives no special treatment to an odd last leaf, so no
 * two different leaf lists share a root (unlike Bitcoin's duplicate-last-leaf rule).
 */
public final class Merkle {
  private static final byte LEAF = 0x00;
  private static final byte NODE = 0x01;

  /** Root of the empty list: SHA-256 of the empty string. */
  public static final Hash EMPTY_ROOT = Hash.sha256(new byte[0]);

  private Merkle() {}

  /** The RFC 6962 Merkle tree hash of {@code leaves} (each leaf being a 32-byte hash). */
  public static Hash root(List<Hash> leaves) {
    if (leaves.isEmpty()) {
      return EMPTY_ROOT;
    }
    MessageDigest md = Hash.newDigest();
    Hash[] level = new Hash[leaves.size()];
    for (int i = 0; i < level.length; i++) {
      md.update(LEAF);
      leaves.get(i).updateDigest(md);
      level[i] = Hash.wrapDigest(md.digest());
    }
    return subtree(level, 0, level.length, md);
  }

  private static Hash subtree(Hash[] nodes, int from, int count, MessageDigest md) {
    if (count == 1) {
      return nodes[from];
    }
    int split = Integer.highestOneBit(count - 1);
    Hash left = subtree(nodes, from, split, md);
    Hash right = subtree(nodes, from + split, count - split, md);
    md.update(NODE);
    left.updateDigest(md);
    right.updateDigest(md);
    return Hash.wrapDigest(md.digest());
  }
}
