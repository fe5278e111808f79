package org.fedledger.ledger.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Remembered expansions give the same lattice as expanding every entry afresh. */
class ExpansionsTest {
  /**
   * A run of writes over a few keys (so values are replaced, re-set to earlier values and
   * deleted), through a tiny cache (so it is cleared often), with executions whose result was
   * discarded in between: same lattice after every write.
   */
  @Property(tries = 200)
  void sameLatticeAsExpandingAfresh(@ForAll @Size(max = 60) List<@IntRange(max = 24) Integer> writes,
      @ForAll @IntRange(min = 1, max = 8) int cacheKeys) {
    Expansions expansions = new Expansions(cacheKeys);
    LtHash cached = new LtHash();
    LtHash fresh = new LtHash();
    Map<ByteString, ByteString> state = new HashMap<>();
    long removals = 0;
    for (int w : writes) {
      ByteString key = ByteString.copyFromUtf8("k" + (w % 5));
      // values small (kept and compared as they are) and large (compared by digest)
      ByteString value = w % 7 == 0 ? null
          : ByteString.copyFromUtf8((w % 3 == 0 ? "L".repeat(Expansions.SMALL_VALUE_BYTES) : "v") + (w / 5));
      if (w % 4 == 1) {
        // an execution whose result was discarded (never committed): the cache remembers an
        // entry the state does not hold, small or large
        expansions.add(new LtHash(), key, ByteString.copyFromUtf8((w % 8 == 1 ? "L".repeat(300) : "") + "gone" + w));
      }
      ByteString old = state.get(key);
      if (old != null) {
        removals++;
        expansions.remove(cached, key, old);
        fresh.remove(key, old);
      }
      if (value != null) {
        expansions.add(cached, key, value);
        fresh.add(key, value);
        state.put(key, value);
      } else {
        state.remove(key);
      }
      assertThat(cached).isEqualTo(fresh);
    }
    assertThat(expansions.hits() + expansions.misses()).as("every removal counted once")
        .isEqualTo(removals);
    LtHash rebuilt = new LtHash();
    state.forEach(rebuilt::add);
    assertThat(cached.root()).isEqualTo(rebuilt.root());
  }

  /** Changing a value added by the previous block reuses its expansion, small values and large. */
  @Test
  void aChangedValueAddedLatelyIsAHit() {
    Expansions expansions = new Expansions(16);
    LtHash lattice = new LtHash();
    ByteString key = ByteString.copyFromUtf8("nonce/a");
    ByteString large = ByteString.copyFromUtf8("L".repeat(Expansions.SMALL_VALUE_BYTES + 1));
    expansions.add(lattice, key, ByteString.copyFromUtf8("v1"));
    expansions.remove(lattice, key, ByteString.copyFromUtf8("v1"));
    expansions.add(lattice, key, large);
    expansions.remove(lattice, key, large);
    assertThat(expansions.hits()).isEqualTo(2);
    expansions.remove(lattice, ByteString.copyFromUtf8("never/added"), ByteString.copyFromUtf8("v"));
    assertThat(expansions.misses()).isEqualTo(1);
  }
}
