package org.fedledger.ledger.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.chain.BlockCheck;
import org.fedledger.ledger.chain.BlockError;
import org.fedledger.ledger.chain.BlockValidator;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxError;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input on the way to a real store: each kind of bad transaction is refused by the
 * validators with its specific error, the block carrying it is refused, and the store (head,
 * state root, every state entry) is unchanged.
 */
class BadInputTest {
  @TempDir Path dir;

  private record Before(ChainHead head, Hash root, List<Map.Entry<ByteString, ByteString>> state) {
    static Before of(LedgerStore s) {
      return new Before(s.head().orElseThrow(), s.stateRoot(), s.state().scan(ByteString.EMPTY));
    }
  }

  @Test
  void eachKindOfBadTransactionIsRefusedAndChangesNothing() {
    try (LedgerStore store = LedgerStore.open(dir, ChainDriver.CHAIN.genesisHash(), Durability.SYNC)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      ChainDriver driver = new ChainDriver();
      for (int i = 0; i < 3; i++) {
        driver.commitNext(store, Durability.SYNC);
      }
      Before before = Before.of(store);
      TxValidator txs = new TxValidator(TestLedger.CHAIN_ID, 600);
      BlockValidator blocks = new BlockValidator(ChainDriver.CHAIN);
      Transaction good = TestLedger.register(TestLedger.ADMIN, 999, TestLedger.key(500), Role.DEVICE);
      Envelope signed = TestLedger.sign(TestLedger.ADMIN, good);

      byte[] raw = signed.toByteArray();
      assertThat(error(txs.check(java.util.Arrays.copyOf(raw, raw.length / 2)))).isEqualTo(TxError.MALFORMED_ENVELOPE);
      byte[] random = new byte[200];
      new SplittableRandom(7).nextBytes(random);
      assertThat(error(txs.check(random))).isIn(TxError.MALFORMED_ENVELOPE, TxError.BAD_SIGNER_OR_SIGNATURE_LENGTH,
          TxError.MALFORMED_BODY);

      Transaction big = good.toBuilder().setRegisterParticipant(good.getRegisterParticipant().toBuilder()
          .setName("x".repeat(700))).build();
      Transaction unknown = TestLedger.tx(TestLedger.ADMIN, 999).setUnknownFields(UnknownFieldSet.newBuilder()
          .addField(77, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();
      Transaction otherChain = good.toBuilder().setChainId("other").build();
      Envelope forged = signed.toBuilder().setSignature(TestLedger.key(3).sign(signed.getBody())).build();
      Map<TxError, Envelope> bad = new java.util.TreeMap<>();
      bad.put(TxError.TX_TOO_LARGE, TestLedger.sign(TestLedger.ADMIN, big));
      bad.put(TxError.PAYLOAD_NOT_SET, TestLedger.sign(TestLedger.ADMIN, unknown));
      bad.put(TxError.WRONG_CHAIN, TestLedger.sign(TestLedger.ADMIN, otherChain));
      bad.put(TxError.BAD_SIGNATURE, forged);
      for (Map.Entry<TxError, Envelope> e : bad.entrySet()) {
        assertThat(error(txs.check(e.getValue().toByteString()))).isEqualTo(e.getKey());
        // the same transaction inside a proposed block: the block is refused, naming the reason
        ParsedTx p = new ParsedTx(Hash.sha256(e.getValue().getBody()), e.getValue(), good);
        ChainHead head = store.head().orElseThrow();
        Block block = Blocks.build(ChainDriver.CHAIN, head, List.of(p), store.stateRoot(), head.height(), 0, 0,
            head.timestampMillis() + 1);
        BlockCheck c = blocks.validateHistoric(block, head);
        if (e.getKey() != TxError.TX_TOO_LARGE) { // the chain's own limit is 2 MiB
          assertThat(c).isInstanceOf(BlockCheck.Invalid.class);
          assertThat(((BlockCheck.Invalid) c).error()).isEqualTo(BlockError.INVALID_TX);
          assertThat(((BlockCheck.Invalid) c).txError()).isEqualTo(e.getKey());
        }
      }
      assertThat(Before.of(store)).isEqualTo(before);
    }
  }

  @Test
  void mutatedBlocksNeverThrowAndRefusedOnesChangeNothing() {
    try (LedgerStore store = LedgerStore.open(dir, ChainDriver.CHAIN.genesisHash(), Durability.SYNC)) {
      ChainDriver.commitGenesis(store, Durability.SYNC);
      Before before = Before.of(store);
      ChainHead head = before.head();
      BlockValidator blocks = new BlockValidator(ChainDriver.CHAIN);
      Block next = Blocks.build(ChainDriver.CHAIN, head, ChainDriver.transactions(store, 1), store.stateRoot(),
          0, 1, 0, head.timestampMillis() + 10);
      byte[] raw = next.toByteArray();
      assertThat(blocks.validate(ByteString.copyFrom(raw), head, head.timestampMillis() + 10).ok()).isTrue();
      SplittableRandom random = new SplittableRandom(42);
      int refused = 0;
      for (int i = 0; i < 400; i++) {
        byte[] m = raw.clone();
        int flips = 1 + random.nextInt(3);
        for (int f = 0; f < flips; f++) {
          int bit = random.nextInt(m.length * 8);
          m[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        BlockCheck c = blocks.validate(ByteString.copyFrom(m), head, head.timestampMillis() + 10);
        if (!c.ok()) {
          refused++;
          assertThat(((BlockCheck.Invalid) c).message()).isNotEmpty();
        }
      }
      assertThat(refused).as("most mutations are refused").isGreaterThan(300);
      assertThat(Before.of(store)).isEqualTo(before);
    }
  }

  @Test
  void identicalHistoriesGiveIdenticalRootsInTwoStores() {
    try (LedgerStore a = LedgerStore.open(dir.resolve("a"), ChainDriver.CHAIN.genesisHash(), Durability.GROUP);
        LedgerStore b = LedgerStore.open(dir.resolve("b"), ChainDriver.CHAIN.genesisHash(), Durability.GROUP)) {
      ChainDriver.commitGenesis(a, Durability.GROUP);
      ChainDriver.commitGenesis(b, Durability.GROUP);
      ChainDriver da = new ChainDriver();
      ChainDriver db = new ChainDriver();
      for (int i = 0; i < 30; i++) {
        da.commitNext(a, Durability.GROUP);
        db.commitNext(b, Durability.GROUP);
      }
      for (long h = 0; h <= 30; h++) {
        assertThat(a.stateRootAt(h)).isPresent().isEqualTo(b.stateRootAt(h));
        assertThat(a.blockBytes(h)).isEqualTo(b.blockBytes(h));
      }
      assertThat(a.state().scan(ByteString.EMPTY)).isEqualTo(b.state().scan(ByteString.EMPTY));
    }
  }

  private static TxError error(TxCheck c) {
    assertThat(c).isInstanceOf(TxCheck.Invalid.class);
    return ((TxCheck.Invalid) c).error();
  }
}
