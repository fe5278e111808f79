package org.fedledger.ledger.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.fedledger.ledger.MemLedger;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.ParticipantStatus;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.SetParticipantStatus;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateParticipant;
import org.junit.jupiter.api.Test;

class StateRootTest {
  private final KeyPair admin = TestLedger.ADMIN;
  private final KeyPair who = TestLedger.key(60);

  private List<Transaction> history() {
    return List.of(
        TestLedger.register(admin, 1, who, Role.HOSPITAL),
        TestLedger.tx(admin, 2).setUpdateParticipant(UpdateParticipant.newBuilder().setPublicKey(who.publicKey())
            .setName("renamed").setRole(Role.EDGE)).build(),
        TestLedger.register(admin, 3, TestLedger.key(61), Role.DEVICE),
        TestLedger.tx(admin, 4).setSetParticipantStatus(SetParticipantStatus.newBuilder().setPublicKey(who.publicKey())
            .setStatus(ParticipantStatus.SUSPENDED).setReason("test")).build());
  }

  private static Hash run(List<Transaction> txs, int perBlock) {
    MemLedger l = new MemLedger(64);
    for (int i = 0; i < txs.size(); i += perBlock) {
      l.block(TestLedger.parsedAll(TestLedger.ADMIN, txs.subList(i, Math.min(txs.size(), i + perBlock))));
    }
    Hash root = l.state.lattice().root();
    assertThat(rebuild(l.state)).as("incremental lattice = lattice rebuilt from the whole state").isEqualTo(root);
    return root;
  }

  /** The state root computed from scratch over every entry. */
  static Hash rebuild(StateView state) {
    LtHash h = new LtHash();
    for (Map.Entry<ByteString, ByteString> e : state.scan(ByteString.EMPTY)) {
      h.add(e.getKey(), e.getValue());
    }
    return h.root();
  }

  @Test
  void sameTransactionsSameOrderSameRoot() {
    assertThat(run(history(), 1)).isEqualTo(run(history(), 1));
    assertThat(run(history(), 4)).isEqualTo(run(history(), 4));
    // registry records carry the height they changed at, so the batching shows in the root
    assertThat(run(history(), 4)).isNotEqualTo(run(history(), 1));
  }

  @Test
  void swappedOrderDifferentRoot() {
    List<Transaction> h = history();
    List<Transaction> swapped = new ArrayList<>(h);
    Collections.swap(swapped, 0, 1); // update before register: the update is refused
    MemLedger l = new MemLedger(64);
    l.block(TestLedger.parsedAll(admin, swapped));
    assertThat(l.last.receipts().get(0).getStatus()).isEqualTo(ReceiptStatus.REJECTED);
    assertThat(run(swapped, 4)).isNotEqualTo(run(h, 4));
  }

  @Test
  void theRootIsTheLatticeHashOfTheBlockResult() {
    MemLedger l = new MemLedger(64);
    BlockResult r = l.block(TestLedger.parsedAll(admin, history()));
    assertThat(r.stateRoot()).isEqualTo(r.lattice().root()).isEqualTo(l.state.lattice().root());
    assertThat(LtHash.fromBytes(r.lattice().toBytes())).isEqualTo(r.lattice());
  }

  @Property(tries = 50)
  void latticeIgnoresInsertionOrder(@ForAll @IntRange(min = 1, max = 30) int n, @ForAll long seed) {
    List<Map.Entry<ByteString, ByteString>> entries = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      entries.add(Map.entry(ByteString.copyFromUtf8("k" + i), ByteString.copyFromUtf8("v" + (seed + i))));
    }
    LtHash a = new LtHash();
    entries.forEach(e -> a.add(e.getKey(), e.getValue()));
    Collections.shuffle(entries, new Random(seed));
    LtHash b = new LtHash();
    entries.forEach(e -> b.add(e.getKey(), e.getValue()));
    assertThat(b.root()).isEqualTo(a.root());
  }

  @Property(tries = 50)
  void addThenRemoveIsTheIdentity(@ForAll @IntRange(min = 0, max = 20) int n, @ForAll String key, @ForAll String value) {
    LtHash h = new LtHash();
    for (int i = 0; i < n; i++) {
      h.add(ByteString.copyFromUtf8("base" + i), ByteString.copyFromUtf8("x"));
    }
    LtHash before = h.copy();
    h.add(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(value));
    assertThat(h.root()).isNotEqualTo(before.root());
    h.remove(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(value));
    assertThat(h).isEqualTo(before);
    assertThat(h.root()).isEqualTo(before.root());
  }

  @Property(tries = 50)
  void keyAndValueAreBound(@ForAll String a, @ForAll String b) {
    net.jqwik.api.Assume.that(!a.equals(b));
    LtHash x = new LtHash();
    x.add(ByteString.copyFromUtf8(a), ByteString.copyFromUtf8(b));
    LtHash y = new LtHash();
    y.add(ByteString.copyFromUtf8(b), ByteString.copyFromUtf8(a));
    assertThat(x.root()).isNotEqualTo(y.root());
  }

  @Test
  void theEmptyStateHasAFixedRoot() {
    assertThat(new LtHash().root()).isEqualTo(Hash.sha256(new byte[LtHash.BYTES]));
  }
}
