package org.fedledger.ledger.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.fedledger.ledger.crypto.Hash;
import org.junit.jupiter.api.Test;

/**
 * {@link LtHash#expand} (per-thread digest, cipher and buffers) gives exactly the bits of the
 * expansion's definition, and leaves the thread's cached digest fresh for its next user.
 */
class LtHashExpansionTest {
  /**
   * The definition, written out independently: AES-256 of the counter blocks 0, 1, …, 127 (128-bit
   * big-endian) under the key SHA-256(SHA-256(key) ‖ SHA-256(value)), i.e. the CTR keystream,
   * computed block by block in ECB mode.
   */
  private static short[] byDefinition(byte[] key, byte[] value) throws GeneralSecurityException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] keyDigest = md.digest(key);
    byte[] valueDigest = md.digest(value);
    md.update(keyDigest);
    md.update(valueDigest);
    Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
    aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(md.digest(), "AES"));
    ByteBuffer lanes = ByteBuffer.allocate(LtHash.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int counter = 0; counter < LtHash.BYTES / 16; counter++) {
      byte[] block = new byte[16];
      block[14] = (byte) (counter >>> 8);
      block[15] = (byte) counter;
      lanes.put(aes.doFinal(block));
    }
    lanes.flip();
    short[] out = new short[LtHash.LANES];
    lanes.asShortBuffer().get(out);
    return out;
  }

  @Property(tries = 300)
  void sameLanesAsTheDefinition(@ForAll @Size(max = 300) byte[] key, @ForAll @Size(max = 300) byte[] value)
      throws GeneralSecurityException {
    short[] expected = byDefinition(key, value);
    byte[] keyDigest = LtHash.digest(ByteString.copyFrom(key));
    byte[] valueDigest = LtHash.digest(ByteString.copyFrom(value));
    assertThat(LtHash.expand(keyDigest, valueDigest)).isEqualTo(expected);
  }

  @Property(tries = 100)
  void theThreadsCachedDigestIsFreshAfterAnExpansion(@ForAll @Size(max = 100) byte[] data)
      throws NoSuchAlgorithmException {
    LtHash.expand(new byte[32], new byte[32]);
    assertThat(Hash.sha256(data).toByteArray()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
  }

  /**
   * Known answers of the AES-256-CTR expansion, computed independently of this code (Python's
   * hashlib for SHA-256, {@code openssl enc -aes-256-ctr -iv 0} for the keystream, lanes summed
   * mod 2^16), so the definition cannot drift unnoticed.
   */
  @Test
  void knownAnswers() {
    LtHash h = new LtHash();
    for (int i = 0; i < 5; i++) {
      h.add(ByteString.copyFromUtf8("kat/key/" + i), ByteString.copyFromUtf8("value-" + i * 7));
    }
    h.add(ByteString.copyFromUtf8("nonce/abc"), ByteString.EMPTY);
    h.remove(ByteString.copyFromUtf8("kat/key/2"), ByteString.copyFromUtf8("value-14"));
    assertThat(h.root().hex()).isEqualTo("d97a5d73a57300caa8048630089ab546664e7426fb0fa8465357d9876a3b8002");

    LtHash one = new LtHash();
    one.add(ByteString.copyFromUtf8("k"), ByteString.copyFromUtf8("v"));
    assertThat(Hash.sha256(one.toBytes()).hex())
        .isEqualTo("55f78e649f0c533a4135e4ebd39107387576f291f36fff18032f24ede6c11778");
  }
}
