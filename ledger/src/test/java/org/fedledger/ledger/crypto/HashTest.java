package org.fedledger.ledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HashTest {
  /** FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf"). */
  @Test
  void nistVectors() {
    assertThat(Hash.sha256(new byte[0]).hex())
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assertThat(Hash.sha256(ascii("abc")).hex())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(Hash.sha256(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex())
        .isEqualTo("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    byte[] million = new byte[1_000_000];
    Arrays.fill(million, (byte) 'a');
    assertThat(Hash.sha256(million).hex())
        .isEqualTo("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }

  @Test
  void everyEntryPointAgrees() {
    byte[] data = ascii("hello, ledger");
    Hash h = Hash.sha256(data);
    assertThat(Hash.sha256(ByteString.copyFrom(data))).isEqualTo(h);
    assertThat(Hash.sha256(ByteString.copyFrom(ascii("hello, ")), ByteString.copyFrom(ascii("ledger")))).isEqualTo(h);
    byte[] padded = ascii("xxhello, ledgeryy");
    assertThat(Hash.sha256(padded, 2, data.length)).isEqualTo(h);
    assertThat(Hash.fromHex(h.hex())).isEqualTo(h);
    assertThat(Hash.of(h.bytes())).isEqualTo(h).hasSameHashCodeAs(h);
    assertThat(h.shortHex()).isEqualTo(h.hex().substring(0, 8));
  }

  @Test
  void aHashIsImmutable() {
    byte[] raw = new byte[32];
    Hash h = Hash.of(raw);
    raw[0] = 1;
    h.toByteArray()[1] = 1;
    assertThat(h).isEqualTo(Hash.ZERO);
    assertThatThrownBy(() -> Hash.of(new byte[31])).hasMessageContaining("32 bytes, got 31");
  }

  @Test
  void orderIsUnsigned() {
    byte[] hi = new byte[32];
    hi[0] = (byte) 0x80;
    byte[] lo = new byte[32];
    lo[0] = 0x7f;
    assertThat(Hash.of(hi)).isGreaterThan(Hash.of(lo));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
