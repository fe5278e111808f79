package org.fedledger.ledger.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.fedledger.ledger.crypto.Hash;
import org.junit.jupiter.api.Test;

/**
 * The lattice's allocation-free paths (an entry expanded straight into the lanes, digests
 * through the thread's buffers, the root through a reused buffer) and its copy on write give
 * the same bits as the expansion returned as an array.
 */
class LtHashInPlaceTest {
  private static ByteString bytes(int size, int seed) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (seed * 31 + i * 7);
    }
    return ByteString.copyFrom(b);
  }

  /** Keys and values small (copied into the thread's buffer) and large (read as a ByteBuffer). */
  @Property(tries = 60)
  void addAndRemoveInPlaceMatchTheExpansion(@ForAll @IntRange(max = 9_000) int keySize,
      @ForAll @IntRange(max = 9_000) int valueSize, @ForAll int seed) throws NoSuchAlgorithmException {
    ByteString key = bytes(keySize, seed);
    ByteString value = bytes(valueSize, seed + 1);
    byte[] keyDigest = MessageDigest.getInstance("SHA-256").digest(key.toByteArray());
    byte[] valueDigest = MessageDigest.getInstance("SHA-256").digest(value.toByteArray());
    assertThat(LtHash.digest(key)).isEqualTo(keyDigest);
    assertThat(LtHash.digest(value)).isEqualTo(valueDigest);

    LtHash base = new LtHash();
    base.add(ByteString.copyFromUtf8("other"), ByteString.copyFromUtf8("entry"));
    LtHash byArray = base.copy();
    byArray.add(LtHash.expand(keyDigest, valueDigest));
    LtHash inPlace = base.copy();
    inPlace.add(key, value);
    assertThat(inPlace).isEqualTo(byArray);
    LtHash byDigests = base.copy();
    byDigests.add(keyDigest, valueDigest);
    assertThat(byDigests).isEqualTo(byArray);
    assertThat(inPlace.root()).isEqualTo(Hash.sha256(byArray.toBytes()));

    inPlace.remove(key, value);
    byDigests.remove(keyDigest, valueDigest);
    assertThat(inPlace).isEqualTo(base).isEqualTo(byDigests);
  }

  /** Writes to either side of a copy, in any order, never reach the other side. */
  @Property(tries = 100)
  void copiesAreIndependent(@ForAll @Size(max = 12) List<@IntRange(max = 5) Integer> steps) {
    LtHash original = new LtHash();
    LtHash originalShadow = new LtHash();
    LtHash copy = original.copy();
    LtHash copyShadow = new LtHash();
    for (int step : steps) {
      ByteString key = ByteString.copyFromUtf8("k" + step);
      switch (step % 3) {
        case 0 -> {
          original.add(key, key);
          originalShadow.add(key, key);
        }
        case 1 -> {
          copy.add(key, key);
          copyShadow.add(key, key);
        }
        default -> {
          // a copy of a copy, which then replaces it: the chain of sharers grows
          LtHash again = copy.copy();
          copy.remove(key, key);
          copyShadow.remove(key, key);
          assertThat(again.root()).isNotEqualTo(copy.root());
          again.remove(key, key);
          assertThat(again).isEqualTo(copy);
          copy = again;
        }
      }
      assertThat(original.root()).isEqualTo(Hash.sha256(originalShadow.toBytes()));
      assertThat(copy.root()).isEqualTo(Hash.sha256(copyShadow.toBytes()));
    }
  }

  @Test
  void serializedFormRoundTrips() {
    LtHash h = new LtHash();
    h.add(ByteString.copyFromUtf8("k"), ByteString.copyFromUtf8("v"));
    LtHash read = LtHash.fromBytes(h.toBytes());
    assertThat(read).isEqualTo(h);
    assertThat(read.root()).isEqualTo(h.root());
    read.add(ByteString.copyFromUtf8("k2"), ByteString.copyFromUtf8("v2"));
    assertThat(read).isNotEqualTo(h);
  }
}
