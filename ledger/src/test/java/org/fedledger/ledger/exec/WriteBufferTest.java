package org.fedledger.ledger.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** A buffer over a parent reads as the parent with the buffer's writes and deletes applied. */
class WriteBufferTest {
  /** Each step writes (even) or deletes (odd) one of a few keys, in the parent or in the buffer. */
  @Property(tries = 200)
  void readsSeeTheBufferThenTheParent(@ForAll @Size(max = 30) List<@IntRange(max = 39) Integer> steps) {
    MemoryState parent = new MemoryState();
    WriteBuffer buffer = new WriteBuffer(parent);
    TreeMap<ByteString, ByteString> expected = new TreeMap<>(WriteBuffer.KEY_ORDER);
    for (int i = 0; i < steps.size(); i++) {
      int step = steps.get(i);
      ByteString key = ByteString.copyFromUtf8("k" + (step % 5));
      ByteString value = ByteString.copyFromUtf8("v" + i);
      boolean inParent = step >= 20;
      boolean write = step % 2 == 0;
      if (inParent) {
        // the parent changes under keys the buffer has not written: visible through it
        if (buffer.writes().containsKey(key)) {
          continue;
        }
        if (write) {
          parent.put(key, value);
          expected.put(key, value);
        } else {
          parent.delete(key);
          expected.remove(key);
        }
      } else if (write) {
        buffer.put(key, value);
        expected.put(key, value);
      } else {
        buffer.delete(key);
        expected.remove(key);
      }
      for (int k = 0; k < 5; k++) {
        ByteString probe = ByteString.copyFromUtf8("k" + k);
        assertThat(buffer.get(probe)).isEqualTo(java.util.Optional.ofNullable(expected.get(probe)));
      }
      assertThat(buffer.scan(ByteString.copyFromUtf8("k"))).containsExactlyElementsOf(
          expected.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList());
    }
  }
}
