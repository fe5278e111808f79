package org.fedledger.ledger.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class NonceWindowTest {
  private static final ByteString SIGNER = ByteString.copyFrom(new byte[32]);

  @Test
  void acceptsOnceRefusesReplayAndTooOld() {
    MemoryState s = new MemoryState();
    NonceWindow w = NonceWindow.load(s, SIGNER, 64);
    assertThat(w.check(5)).isEqualTo(NonceWindow.Verdict.ACCEPTED);
    w.record(5);
    assertThat(w.check(5)).isEqualTo(NonceWindow.Verdict.REPLAYED);
    assertThat(w.check(3)).isEqualTo(NonceWindow.Verdict.ACCEPTED);
    w.record(100);
    assertThat(w.check(37)).isEqualTo(NonceWindow.Verdict.ACCEPTED);
    assertThat(w.check(36)).isEqualTo(NonceWindow.Verdict.TOO_OLD);
    assertThat(w.check(5)).isEqualTo(NonceWindow.Verdict.TOO_OLD);
    assertThatThrownBy(() -> w.record(100)).isInstanceOf(IllegalStateException.class);
    w.store(s, SIGNER);
    NonceWindow again = NonceWindow.load(s, SIGNER, 64);
    assertThat(again.check(100)).isEqualTo(NonceWindow.Verdict.REPLAYED);
    assertThat(again.check(36)).isEqualTo(NonceWindow.Verdict.TOO_OLD);
    assertThat(again.check(99)).isEqualTo(NonceWindow.Verdict.ACCEPTED);
  }

  @Test
  void noncesAreUnsigned() {
    NonceWindow w = NonceWindow.load(new MemoryState(), SIGNER, 64);
    w.record(-1L); // 2^64 - 1
    assertThat(w.check(-1L)).isEqualTo(NonceWindow.Verdict.REPLAYED);
    assertThat(w.check(-2L)).isEqualTo(NonceWindow.Verdict.ACCEPTED);
    assertThat(w.check(1)).isEqualTo(NonceWindow.Verdict.TOO_OLD);
  }

  @Test
  void windowMustBeAMultipleOf64() {
    assertThatThrownBy(() -> NonceWindow.load(new MemoryState(), SIGNER, 100)).hasMessageContaining("multiple of 64");
  }

  /**
   * Against a naive model (every used nonce in a set): the same verdict for every nonce, and
   * storing then loading after each step changes nothing.
   */
  @Property(tries = 300)
  void agreesWithTheNaiveModel(@ForAll("nonceRuns") List<Long> nonces, @ForAll("windows") int window) {
    MemoryState s = new MemoryState();
    TreeSet<Long> used = new TreeSet<>(Long::compareUnsigned);
    for (long n : nonces) {
      NonceWindow w = NonceWindow.load(s, SIGNER, window);
      NonceWindow.Verdict expected = model(used, n, window);
      assertThat(w.check(n)).as("nonce %s after %s", Long.toUnsignedString(n), used).isEqualTo(expected);
      if (expected == NonceWindow.Verdict.ACCEPTED) {
        w.record(n);
        used.add(n);
        w.store(s, SIGNER);
      }
    }
  }

  private static NonceWindow.Verdict model(TreeSet<Long> used, long n, int window) {
    if (used.isEmpty() || Long.compareUnsigned(n, used.last()) > 0) {
      return NonceWindow.Verdict.ACCEPTED;
    }
    if (Long.compareUnsigned(used.last() - n, window) >= 0) {
      return NonceWindow.Verdict.TOO_OLD;
    }
    return used.contains(n) ? NonceWindow.Verdict.REPLAYED : NonceWindow.Verdict.ACCEPTED;
  }

  @Provide
  Arbitrary<List<Long>> nonceRuns() {
    Arbitrary<Long> near = Arbitraries.longs().between(0, 400);
    Arbitrary<Long> far = Arbitraries.longs().between(1_000, 100_000);
    Arbitrary<Long> top = Arbitraries.longs().between(-300, -1);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(20, near), net.jqwik.api.Tuple.of(1, far), net.jqwik.api.Tuple.of(1, top))
        .list().ofMaxSize(120);
  }

  @Provide
  Arbitrary<Integer> windows() {
    return Arbitraries.of(64, 128, 192);
  }

  /** The stored form and key are those documented: 8 bytes big-endian highest, then the bitmap's words big-endian. */
  @Test
  void storedBytesAreTheDocumentedLayout() {
    ByteString signer = ByteString.copyFromUtf8("0123456789abcdef0123456789abcdef").substring(3, 30);
    MemoryState s = new MemoryState();
    NonceWindow w = NonceWindow.load(s, signer, 128);
    w.record(0x0102030405060708L);
    w.record(0x0102030405060708L - 70);
    w.store(s, signer);
    java.nio.ByteBuffer expected = java.nio.ByteBuffer.allocate(8 + 16);
    expected.putLong(0x0102030405060708L).putLong(1L).putLong(1L << 6);
    ByteString key = ByteString.copyFromUtf8(NonceWindow.PREFIX).concat(signer);
    assertThat(NonceWindow.key(signer)).isEqualTo(key);
    assertThat(s.get(key)).contains(ByteString.copyFrom(expected.array()));
    NonceWindow again = NonceWindow.load(s, signer, 128);
    assertThat(again.check(0x0102030405060708L - 70)).isEqualTo(NonceWindow.Verdict.REPLAYED);
    assertThat(again.check(0x0102030405060708L - 69)).isEqualTo(NonceWindow.Verdict.ACCEPTED);
  }
}
