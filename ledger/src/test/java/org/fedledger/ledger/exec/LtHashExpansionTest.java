package org.fedledger.ledger.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.fedledger.ledger.crypto.Hash;
import org.junit.jupiter.api.Test;

/**
 * {@link LtHash#expand} (the 64-byte prefix compressed once, its digest state cloned per
 * counter) gives exactly the bits of the expansion's definition, and leaves the thread's cached
 * digest fresh for its next user.
 */
class LtHashExpansionTest {
  /** The definition, written out independently: 64 × SHA-256(keyDigest ‖ valueDigest ‖ counter). */
  private static short[] byDefinition(byte[] key, byte[] value) throws NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] keyDigest = md.digest(key);
    byte[] valueDigest = md.digest(value);
    ByteBuffer lanes = ByteBuffer.allocate(LtHash.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int counter = 0; counter < 64; counter++) {
      md.update(keyDigest);
      md.update(valueDigest);
      md.update(ByteBuffer.allocate(4).putInt(counter).array());
      lanes.put(md.digest());
    }
    lanes.flip();
    short[] out = new short[LtHash.LANES];
    lanes.asShortBuffer().get(out);
    return out;
  }

  @Property(tries = 300)
  void sameLanesAsTheDefinition(@ForAll @Size(max = 300) byte[] key, @ForAll @Size(max = 300) byte[] value)
      throws NoSuchAlgorithmException {
    short[] expected = byDefinition(key, value);
    byte[] keyDigest = LtHash.digest(ByteString.copyFrom(key));
    byte[] valueDigest = LtHash.digest(ByteString.copyFrom(value));
    assertThat(LtHash.expand(keyDigest, valueDigest)).isEqualTo(expected);
    assertThat(LtHash.expandDirect(keyDigest, valueDigest)).isEqualTo(expected);
  }

  @Property(tries = 100)
  void theThreadsCachedDigestIsFreshAfterAnExpansion(@ForAll @Size(max = 100) byte[] data)
      throws NoSuchAlgorithmException {
    LtHash.expand(new byte[32], new byte[32]);
    assertThat(Hash.sha256(data).toByteArray()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
  }

  /** Known answers, computed by the code before the expansion was reworked (main at 5896520). */
  @Test
  void knownAnswers() {
    LtHash h = new LtHash();
    for (int i = 0; i < 5; i++) {
      h.add(ByteString.copyFromUtf8("kat/key/" + i), ByteString.copyFromUtf8("value-" + i * 7));
    }
    h.add(ByteString.copyFromUtf8("nonce/abc"), ByteString.EMPTY);
    h.remove(ByteString.copyFromUtf8("kat/key/2"), ByteString.copyFromUtf8("value-14"));
    assertThat(h.root().hex()).isEqualTo("b4f9f81aca40f010f0ca9e21d5f7add6e2e8d62b9b7e1a29d7320b543ac25a85");

    LtHash one = new LtHash();
    one.add(ByteString.copyFromUtf8("k"), ByteString.copyFromUtf8("v"));
    assertThat(Hash.sha256(one.toBytes()).hex())
        .isEqualTo("16bf18c3d8ec934336313a6ac94424e8484a73c1be6842546e23d510b5dfc030");
  }
}
