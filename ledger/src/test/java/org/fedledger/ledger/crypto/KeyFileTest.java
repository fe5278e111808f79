package org.fedledger.ledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.fedledger.ledger.TestLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {
  @TempDir Path dir;

  @Test
  void writesOwnerOnlyAndReadsBack() throws IOException {
    KeyPair kp = Ed25519.generate(new SecureRandom());
    Path p = dir.resolve("sub/validator.key");
    KeyFile.write(p, kp);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
    assertThat(KeyFile.read(p)).isEqualTo(kp);
    try (var files = Files.list(p.getParent())) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactly("validator.key");
    }
  }

  @Test
  void theDocumentedFormat() throws IOException {
    KeyPair kp = TestLedger.key(7);
    Path p = dir.resolve("k");
    KeyFile.write(p, kp);
    String text = Files.readString(p);
    assertThat(text).contains("format: fedledger-key/1\n", "type: ed25519\n",
        "public-key: " + Keys.hex(kp.publicKey()) + "\n", "seed: " + Keys.hex(kp.secretKey()) + "\n");
    // hand-written in the documented format, with comments and blank lines, parses the same
    String hand = "# mine\n\nseed: " + Keys.hex(kp.secretKey()) + "\r\ntype: ed25519\nformat: fedledger-key/1\n"
        + "public-key: " + Keys.hex(kp.publicKey()) + "\n";
    assertThat(KeyFile.parse(p, hand)).isEqualTo(kp);
  }

  @Test
  void neverOverwritesByAccident() {
    Path p = dir.resolve("k");
    KeyFile.write(p, TestLedger.key(1));
    assertThatThrownBy(() -> KeyFile.write(p, TestLedger.key(2)))
        .isInstanceOf(KeyFileException.class).hasMessageContaining(p.toString()).hasMessageContaining("exists");
    assertThat(KeyFile.read(p)).isEqualTo(TestLedger.key(1));
    KeyFile.replace(p, TestLedger.key(2));
    assertThat(KeyFile.read(p)).isEqualTo(TestLedger.key(2));
  }

  @Test
  void refusesAFileOthersCanRead() throws IOException {
    Path p = dir.resolve("k");
    KeyFile.write(p, TestLedger.key(1));
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> KeyFile.read(p)).isInstanceOf(KeyFileException.class)
        .hasMessageContaining(p.toString()).hasMessageContaining("rw-r--r--").hasMessageContaining("chmod 600");
  }

  @Test
  void refusesEachKindOfBadFile() throws IOException {
    KeyPair kp = TestLedger.key(3);
    String good = KeyFile.format(kp);
    String pk = Keys.hex(kp.publicKey());
    String seed = Keys.hex(kp.secretKey());
    assertRefused(good.substring(0, good.length() - 20), "'seed' must be 64 hex characters");
    assertRefused(good.substring(0, good.indexOf("seed:")), "'seed' is missing");
    assertRefused("", "'format' is missing");
    assertRefused(good.replace("type: ed25519", "type: secp256k1"), "key type 'secp256k1' is not ed25519");
    assertRefused(good.replace("fedledger-key/1", "fedledger-key/9"), "unknown key file format");
    assertRefused(good.replace(seed, seed.substring(0, 62) + "zz"), "'seed' is not hexadecimal");
    assertRefused(good.replace(seed, Keys.hex(TestLedger.key(4).secretKey())), "public-key does not match");
    assertRefused(good.replace(pk, Keys.hex(TestLedger.key(4).publicKey())), "public-key does not match");
    assertRefused(good + "seed: " + seed + "\n", "'seed' appears twice");
    assertRefused(good + "colour: blue\n", "unknown field 'colour'");
    assertRefused(good + "garbage\n", "is not 'name: value'");
    assertRefused(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}, "not UTF-8");
    assertRefused(new byte[KeyFile.SIZE_MAX_BYTES + 1], "too large");
  }

  @Test
  void aMissingFileNamesThePath() {
    Path p = dir.resolve("nope.key");
    assertThatThrownBy(() -> KeyFile.read(p)).isInstanceOf(KeyFileException.class)
        .hasMessage(p + ": key file does not exist");
  }

  private void assertRefused(String text, String expected) throws IOException {
    assertRefused(text.getBytes(StandardCharsets.UTF_8), expected);
  }

  private void assertRefused(byte[] content, String expected) throws IOException {
    Path p = dir.resolve("bad.key");
    Files.deleteIfExists(p);
    Files.write(p, content);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> KeyFile.read(p)).isInstanceOf(KeyFileException.class)
        .hasMessageStartingWith(p + ": ").hasMessageContaining(expected);
  }
}
