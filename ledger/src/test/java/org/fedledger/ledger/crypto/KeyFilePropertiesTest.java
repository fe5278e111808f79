package org.fedledger.ledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.fedledger.ledger.TestLedger;

/** Key-file parsing never fails with anything but a {@link KeyFileException} naming the path. */
class KeyFilePropertiesTest {
  private static final Path PATH = Path.of("/keys/validator-0.key");

  @Property(tries = 500)
  void anyTextIsAKeyOrAClearError(@ForAll @Size(max = 400) String text) {
    try {
      KeyFile.parse(PATH, text);
    } catch (KeyFileException e) {
      assertThat(e.getMessage()).startsWith(PATH + ": ");
    }
  }

  @Property(tries = 500)
  void oneChangedCharacterIsNeverAnotherKey(@ForAll @IntRange(min = 0, max = 100_000) int at,
      @ForAll char replacement, @ForAll @IntRange(max = 50) int key) {
    KeyPair kp = TestLedger.key(key);
    String text = KeyFile.format(kp);
    int i = at % text.length();
    String changed = text.substring(0, i) + replacement + text.substring(i + 1);
    try {
      assertThat(KeyFile.parse(PATH, changed)).isEqualTo(kp);
    } catch (KeyFileException e) {
      assertThat(e.getMessage()).startsWith(PATH + ": ");
    }
  }
}
