package org.fedledger.ledger.chain;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.function.UnaryOperator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.ChainParameters;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Role;
import org.junit.jupiter.api.Test;

class BlockValidatorTest {
  private static final EnumSet<BlockError> SEEN = EnumSet.noneOf(BlockError.class);
  private static final long NOW = 2_000_000L;

  private final Chain chain = Chain.of(TestLedger.genesis()
      .setParameters(ChainParameters.newBuilder().setBlockTxMax(3).setBlockBytesMax(4096).setTxBytesMax(1024)
          .setTimestampDriftMaxMillis(5_000))
      .build());
  private final BlockValidator validator = new BlockValidator(chain);
  private final ChainHead parent = new ChainHead(7, Hash.sha256(ByteString.copyFromUtf8("parent")), NOW - 1000);
  private final Hash stateRoot = Hash.sha256(ByteString.copyFromUtf8("state"));

  private List<ParsedTx> txs(int n) {
    List<ParsedTx> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(TestLedger.parsed(TestLedger.ADMIN, TestLedger.register(TestLedger.ADMIN, i + 1, TestLedger.key(200 + i), Role.EDGE)));
    }
    return out;
  }

  private Block good(int n) {
    return Blocks.build(chain, parent, txs(n), stateRoot, 6, 2, 3, NOW);
  }

  private static Block withHeader(Block b, UnaryOperator<BlockHeader.Builder> change) {
    try {
      BlockHeader h = BlockHeader.parseFrom(b.getHeader());
      return b.toBuilder().setHeader(change.apply(h.toBuilder()).build().toByteString()).build();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aGoodBlockIsValid() {
    Block b = good(2);
    BlockCheck c = validator.validate(b.toByteString(), parent, NOW);
    assertThat(c).isInstanceOf(BlockCheck.Valid.class);
    ValidBlock v = ((BlockCheck.Valid) c).block();
    assertThat(v.height()).isEqualTo(8);
    assertThat(v.hash()).isEqualTo(Blocks.hash(b));
    assertThat(v.txs()).extracting(ParsedTx::id).containsExactly(Blocks.txId(b.getTransactions(0)), Blocks.txId(b.getTransactions(1)));
    assertThat(v.asHead()).isEqualTo(new ChainHead(8, Blocks.hash(b), NOW));
    assertThat(validator.validate(b, parent, NOW)).isEqualTo(c);
    // a historic block is not checked against now
    assertThat(validator.validateHistoric(b, parent).ok()).isTrue();
    assertThat(validator.validate(Blocks.build(chain, parent, List.of(), stateRoot, 6, 0, 0, NOW), parent, NOW).ok()).isTrue();
  }

  @Test
  void malformedBlockAndHeader() {
    assertRefused(validator.validate(ByteString.copyFrom(new byte[] {0x0a, 0x50, 1}), parent, NOW),
        BlockError.MALFORMED_BLOCK, "not a Block");
    Block badHeader = good(0).toBuilder().setHeader(ByteString.copyFrom(new byte[] {0x12, (byte) 0xff})).build();
    assertRefused(validator.validate(badHeader, parent, NOW), BlockError.MALFORMED_HEADER, "not a BlockHeader");
  }

  @Test
  void tooLarge() {
    Block big = good(0).toBuilder().addTransactions(Envelope.newBuilder().setBody(ByteString.copyFrom(new byte[5000]))).build();
    assertRefused(validator.validate(big.toByteString(), parent, NOW), BlockError.BLOCK_TOO_LARGE, "exceed block_bytes_max 4096");
    assertRefused(validator.validate(big, parent, NOW), BlockError.BLOCK_TOO_LARGE, "exceed block_bytes_max 4096");
  }

  @Test
  void wrongChainHeightOrLink() {
    assertRefused(validator.validate(withHeader(good(1), h -> h.setChainId("other")), parent, NOW),
        BlockError.WRONG_CHAIN, "chain id");
    assertRefused(validator.validate(withHeader(good(1), h -> h.setHeight(9)), parent, NOW),
        BlockError.WRONG_HEIGHT, "height 9 does not follow parent height 7");
    assertRefused(validator.validate(withHeader(good(1), h -> h.setPreviousHash(Hash.ZERO.bytes())), parent, NOW),
        BlockError.WRONG_PREVIOUS_HASH, "previous_hash");
  }

  @Test
  void transactionCountAndRoot() {
    assertRefused(validator.validate(good(4), parent, NOW), BlockError.TOO_MANY_TXS, "4 transactions exceed block_tx_max 3");
    assertRefused(validator.validate(withHeader(good(2), h -> h.setTxCount(1)), parent, NOW),
        BlockError.TX_COUNT_MISMATCH, "tx_count 1 but the block holds 2");
    Block b = good(2);
    Block reordered = b.toBuilder().setTransactions(0, b.getTransactions(1)).setTransactions(1, b.getTransactions(0)).build();
    assertRefused(validator.validate(reordered, parent, NOW), BlockError.TX_ROOT_MISMATCH, "tx_root");
    Block dup = b.toBuilder().setTransactions(1, b.getTransactions(0)).build();
    assertRefused(validator.validate(dup, parent, NOW), BlockError.DUPLICATE_TX, "transaction 1");
  }

  @Test
  void stateRootProposerAndTime() {
    assertRefused(validator.validate(withHeader(good(1), h -> h.setStateRoot(ByteString.copyFrom(new byte[31]))), parent, NOW),
        BlockError.BAD_STATE_ROOT, "state_root");
    assertRefused(validator.validate(withHeader(good(1), h -> h.setStateHeight(8)), parent, NOW),
        BlockError.BAD_STATE_ROOT, "state_height");
    assertRefused(validator.validate(withHeader(good(1), h -> h.setProposer(4)), parent, NOW),
        BlockError.PROPOSER_OUT_OF_RANGE, "proposer 4");
    assertRefused(validator.validate(withHeader(good(1), h -> h.setTimestampMillis(NOW - 1001)), parent, NOW),
        BlockError.TIMESTAMP_BEFORE_PARENT, "before the parent's");
    assertRefused(validator.validate(good(1), parent, NOW + 5_001), BlockError.TIMESTAMP_OUT_OF_DRIFT, "5000 ms from now");
    assertRefused(validator.validate(good(1), parent, NOW - 5_001), BlockError.TIMESTAMP_OUT_OF_DRIFT, "5000 ms from now");
    assertThat(validator.validate(good(1), parent, NOW + 5_000).ok()).isTrue();
  }

  @Test
  void aBadTransactionNamesItsIndexAndReason() {
    List<ParsedTx> t = txs(2);
    Envelope forged = t.get(1).envelope().toBuilder().setSignature(TestLedger.key(9).sign(t.get(1).envelope().getBody())).build();
    List<ParsedTx> withForged = List.of(t.get(0), new ParsedTx(t.get(1).id(), forged, t.get(1).tx()));
    Block b = Blocks.build(chain, parent, withForged, stateRoot, 6, 0, 0, NOW);
    BlockCheck c = validator.validate(b, parent, NOW);
    assertRefused(c, BlockError.INVALID_TX, "transaction 1: BAD_SIGNATURE");
    assertThat(((BlockCheck.Invalid) c).txError()).isEqualTo(TxError.BAD_SIGNATURE);
  }

  @Property(tries = 500)
  void randomBytesAreRefusedNeverThrown(@ForAll @Size(max = 600) byte[] junk) {
    assertThat(validator.validate(ByteString.copyFrom(junk), parent, NOW).ok()).isFalse();
  }

  /** Runs every case above on fresh instances, so that this holds whichever tests were selected. */
  @Test
  void everyReasonWasShown() throws Exception {
    SEEN.clear();
    new BlockValidatorTest().malformedBlockAndHeader();
    new BlockValidatorTest().tooLarge();
    new BlockValidatorTest().wrongChainHeightOrLink();
    new BlockValidatorTest().transactionCountAndRoot();
    new BlockValidatorTest().stateRootProposerAndTime();
    new BlockValidatorTest().aBadTransactionNamesItsIndexAndReason();
    assertThat(SEEN).isEqualTo(EnumSet.allOf(BlockError.class));
  }

  private static void assertRefused(BlockCheck c, BlockError error, String messagePart) {
    assertThat(c).isInstanceOf(BlockCheck.Invalid.class);
    BlockCheck.Invalid bad = (BlockCheck.Invalid) c;
    assertThat(bad.error()).as(bad.toString()).isEqualTo(error);
    assertThat(bad.message()).contains(messagePart);
    SEEN.add(error);
  }
}
