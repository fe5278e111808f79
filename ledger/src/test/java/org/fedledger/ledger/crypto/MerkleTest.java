package org.fedledger.ledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MerkleTest {
  private static final ByteString LEAF = ByteString.copyFrom(new byte[] {0});
  private static final ByteString NODE = ByteString.copyFrom(new byte[] {1});

  @Test
  void smallTreesByHand() {
    Hash a = leaf(1);
    Hash b = leaf(2);
    Hash c = leaf(3);
    Hash la = Hash.sha256(LEAF, a.bytes());
    Hash lb = Hash.sha256(LEAF, b.bytes());
    Hash lc = Hash.sha256(LEAF, c.bytes());
    assertThat(Merkle.root(List.of())).isEqualTo(Hash.fromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assertThat(Merkle.root(List.of(a))).isEqualTo(la);
    assertThat(Merkle.root(List.of(a, b))).isEqualTo(node(la, lb));
    // RFC 6962 §2.1: three leaves split at k = 2, the odd leaf is NOT duplicated
    assertThat(Merkle.root(List.of(a, b, c))).isEqualTo(node(node(la, lb), lc));
  }

  /**
   * RFC 6962 §2.1.3 worked example shape with leaves that are 32-byte values: the root of the
   * 7-leaf tree is MTH(d0..d3) combined with MTH(d4..d6) = node(node(d4, d5), d6).
   */
  @Test
  void sevenLeavesFollowTheRfcSplit() {
    List<Hash> leaves = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      leaves.add(leaf(i));
    }
    Hash[] l = new Hash[7];
    for (int i = 0; i < 7; i++) {
      l[i] = Hash.sha256(LEAF, leaves.get(i).bytes());
    }
    Hash left = node(node(l[0], l[1]), node(l[2], l[3]));
    Hash right = node(node(l[4], l[5]), l[6]);
    assertThat(Merkle.root(leaves)).isEqualTo(node(left, right));
  }

  @Property(tries = 100)
  void matchesTheRecursiveDefinition(@ForAll @IntRange(min = 0, max = 70) int n, @ForAll int salt) {
    List<Hash> leaves = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      leaves.add(leaf(salt * 1000 + i));
    }
    assertThat(Merkle.root(leaves)).isEqualTo(reference(leaves));
  }

  @Property(tries = 100)
  void anyChangeChangesTheRoot(@ForAll @IntRange(min = 2, max = 40) int n, @ForAll @IntRange(max = 1000) int pick) {
    List<Hash> leaves = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      leaves.add(leaf(i));
    }
    Hash root = Merkle.root(leaves);
    int i = pick % n;
    List<Hash> changed = new ArrayList<>(leaves);
    changed.set(i, leaf(10_000 + i));
    assertThat(Merkle.root(changed)).isNotEqualTo(root);
    List<Hash> swapped = new ArrayList<>(leaves);
    swapped.set(i, leaves.get((i + 1) % n));
    swapped.set((i + 1) % n, leaves.get(i));
    assertThat(Merkle.root(swapped)).isNotEqualTo(root);
    List<Hash> dup = new ArrayList<>(leaves);
    dup.add(leaves.get(n - 1));
    assertThat(Merkle.root(dup)).as("duplicating the last leaf").isNotEqualTo(root);
    assertThat(Merkle.root(leaves.subList(0, n - 1))).isNotEqualTo(root);
  }

  /** MTH(D[n]) exactly as RFC 6962 §2.1 writes it. */
  private static Hash reference(List<Hash> d) {
    if (d.isEmpty()) {
      return Hash.sha256(new byte[0]);
    }
    if (d.size() == 1) {
      return Hash.sha256(LEAF, d.get(0).bytes());
    }
    int k = 1;
    while (k * 2 < d.size()) {
      k *= 2;
    }
    return node(reference(d.subList(0, k)), reference(d.subList(k, d.size())));
  }

  private static Hash node(Hash l, Hash r) {
    return Hash.sha256(NODE, l.bytes(), r.bytes());
  }

  private static Hash leaf(int i) {
    return Hash.sha256(ByteString.copyFromUtf8("leaf-" + i));
  }
}
