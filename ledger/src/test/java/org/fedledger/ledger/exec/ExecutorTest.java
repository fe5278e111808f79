package org.fedledger.ledger.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import org.fedledger.ledger.MemLedger;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.proto.CloseRound;
import org.fedledger.proto.Event;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.Test;

class ExecutorTest {
  private final KeyPair admin = TestLedger.ADMIN;

  @Test
  void aReplayedNonceIsRefusedAndChangesNothing() {
    MemLedger l = new MemLedger(64);
    Transaction t = TestLedger.register(admin, 7, TestLedger.key(50), Role.HOSPITAL);
    assertThat(l.run(admin, t).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    Hash root = l.state.lattice().root();
    List<Map.Entry<ByteString, ByteString>> before = l.entries("");

    // the very same signed transaction again, in a later block
    Receipt again = l.run(admin, t);
    assertRejected(again, Executor.NONCE_REPLAYED, "nonce 7 was already used");
    // another transaction reusing the nonce
    Receipt reuse = l.run(admin, TestLedger.register(admin, 7, TestLedger.key(51), Role.EDGE));
    assertRejected(reuse, Executor.NONCE_REPLAYED, "already used");
    assertThat(l.last.writes()).isEmpty();
    assertThat(l.last.stateRoot()).isEqualTo(root);
    assertThat(l.entries("")).isEqualTo(before);
    assertThat(Registry.participant(l.state, TestLedger.key(51).publicKey())).isEmpty();
  }

  @Test
  void aReplayInsideOneBlockIsRefused() {
    MemLedger l = new MemLedger(64);
    var first = TestLedger.parsed(admin, TestLedger.register(admin, 1, TestLedger.key(50), Role.HOSPITAL));
    var second = TestLedger.parsed(admin, TestLedger.register(admin, 1, TestLedger.key(51), Role.HOSPITAL));
    var result = l.block(List.of(first, second));
    assertThat(result.receipts().get(0).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertRejected(result.receipts().get(1), Executor.NONCE_REPLAYED, "already used");
    assertThat(result.receipts()).extracting(Receipt::getIndex).containsExactly(0, 1);
    assertThat(result.receipts().get(1).getTxId()).isEqualTo(second.id().bytes());
    assertThat(Registry.participant(l.state, TestLedger.key(51).publicKey())).isEmpty();
  }

  @Test
  void aNonceBelowTheWindowIsRefusedAndChangesNothing() {
    MemLedger l = new MemLedger(64);
    assertThat(l.run(admin, TestLedger.register(admin, 100, TestLedger.key(50), Role.HOSPITAL)).getStatus())
        .isEqualTo(ReceiptStatus.SUCCESS);
    List<Map.Entry<ByteString, ByteString>> before = l.entries("");
    Receipt old = l.run(admin, TestLedger.register(admin, 36, TestLedger.key(51), Role.HOSPITAL));
    assertRejected(old, Executor.NONCE_TOO_OLD, "nonce 36 is below the replay window of 64");
    assertThat(l.last.writes()).isEmpty();
    assertThat(l.entries("")).isEqualTo(before);
    // inside the window, an unused nonce is still fine
    assertThat(l.run(admin, TestLedger.register(admin, 37, TestLedger.key(51), Role.HOSPITAL)).getStatus())
        .isEqualTo(ReceiptStatus.SUCCESS);
  }

  @Test
  void anUnknownPayloadIsRefusedAndOnlyItsNonceIsConsumed() {
    MemLedger l = new MemLedger(64);
    List<Map.Entry<ByteString, ByteString>> before = l.entries("registry/");
    Transaction close = TestLedger.tx(admin, 1).setCloseRound(CloseRound.newBuilder().setTaskId("t")).build();
    assertRejected(l.run(admin, close), Executor.UNKNOWN_PAYLOAD, "CLOSE_ROUND");
    assertThat(l.last.writes().keySet()).containsExactly(NonceWindow.key(admin.publicKey()));
    assertThat(l.entries("registry/")).isEqualTo(before);
    assertRejected(l.run(admin, close), Executor.NONCE_REPLAYED, "already used");
  }

  /** A contract that writes, then refuses or crashes as its payload says. */
  private static final class Writer implements Contract {
    @Override
    public String name() {
      return "writer";
    }

    @Override
    public List<Transaction.PayloadCase> payloads() {
      return List.of(Transaction.PayloadCase.CLOSE_ROUND);
    }

    @Override
    public void execute(TxContext ctx, Transaction tx, State state) throws ContractException {
      state.put("writer/" + tx.getCloseRound().getTaskId(), ByteString.copyFromUtf8("x"));
      ctx.events().emit(Event.newBuilder().setType("writer.wrote").build());
      switch (tx.getCloseRound().getTaskId()) {
        case "refuse":
          throw new ContractException("NO_WAY", "refused after writing");
        case "crash":
          throw new IllegalStateException("boom");
        default:
          return;
      }
    }

    @Override
    public void endBlock(BlockContext block, State state, EventSink events) {
      state.put("writer/end", ByteString.copyFromUtf8(Long.toString(block.height())));
      if (block.height() == 3) {
        throw new IllegalStateException("end boom");
      }
    }
  }

  private static Transaction close(long nonce, String what) {
    return TestLedger.tx(TestLedger.ADMIN, nonce).setCloseRound(CloseRound.newBuilder().setTaskId(what)).build();
  }

  @Test
  void aRefusedOrCrashedContractLeavesOnlyItsReceiptAndNonce() {
    MemLedger l = new MemLedger(64, new Writer());
    Receipt ok = l.run(admin, close(1, "ok"));
    assertThat(ok.getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(ok.getEventsList()).extracting(Event::getType).containsExactly("writer.wrote");
    assertThat(l.state.get("writer/ok")).isPresent();

    Receipt refused = l.run(admin, close(2, "refuse"));
    assertRejected(refused, "NO_WAY", "refused after writing");
    assertThat(refused.getEventsList()).isEmpty();
    assertThat(l.state.get("writer/refuse")).isEmpty();
    assertThat(l.last.endEvents()).isEmpty();
    assertThat(l.state.get("writer/end")).hasValue(ByteString.copyFromUtf8("2"));

    Receipt crashed = l.run(admin, close(3, "crash"));
    assertRejected(crashed, Executor.CONTRACT_ERROR, "boom");
    assertThat(l.state.get("writer/crash")).isEmpty();
    // endBlock failed at height 3: its writes are discarded, an event says so
    assertThat(l.last.endEvents()).extracting(Event::getType).containsExactly("contract.error");
    assertThat(l.state.get("writer/end")).hasValue(ByteString.copyFromUtf8("2"));
    assertThat(l.last.writes().keySet()).containsExactly(NonceWindow.key(admin.publicKey()));
  }

  @Test
  void theBaseIsNeverModified() {
    MemLedger l = new MemLedger(64, new Writer());
    MemoryState base = l.state;
    List<Map.Entry<ByteString, ByteString>> before = base.scan(ByteString.EMPTY);
    LtHash lattice = base.lattice();
    BlockResult r = l.executor.execute(new BlockContext(TestLedger.CHAIN_ID, 1, 1, Hash.ZERO),
        List.of(TestLedger.parsed(admin, close(1, "ok"))), base, lattice);
    assertThat(r.writes()).isNotEmpty();
    assertThat(base.scan(ByteString.EMPTY)).isEqualTo(before);
    assertThat(base.lattice()).isEqualTo(lattice);
  }

  @Test
  void aPayloadHasOneContract() {
    Contract other = new Writer();
    assertThatThrownBy(() -> new Executor(List.of(new Writer(), other), 64))
        .hasMessageContaining("CLOSE_ROUND claimed by both writer and writer");
  }

  private static void assertRejected(Receipt r, String code, String reasonPart) {
    assertThat(r.getStatus()).isEqualTo(ReceiptStatus.REJECTED);
    assertThat(r.getCode()).isEqualTo(code);
    assertThat(r.getReason()).contains(reasonPart);
  }
}
