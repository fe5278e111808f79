package org.fedledger.ledger.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.Map;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.Receipt;

/** Whole-store consistency checks shared by the store and crash tests. */
final class StoreChecks {
  private StoreChecks() {}

  /**
   * Checks that {@code store} is a consistent chain: every block 0..head present with its
   * receipts and per-height state root, links valid, nothing after the head, and the state
   * root recomputed from a full scan of the state equal to the stored root.
   *
   * @return the head height, or -1 for a store without a genesis block
   */
  static long checkConsistent(LedgerStore store) throws InvalidProtocolBufferException {
    if (store.head().isEmpty()) {
      assertThat(store.block(0)).isEmpty();
      assertThat(store.state().scan(ByteString.EMPTY)).isEmpty();
      return -1;
    }
    ChainHead head = store.head().get();
    Hash previous = ChainDriver.CHAIN.genesisHash();
    Hash previousRoot = null;
    for (long h = 0; h <= head.height(); h++) {
      long at = h;
      Block block = store.block(h).orElseThrow(() -> new AssertionError("missing block " + at)).getBlock();
      BlockHeader header = BlockHeader.parseFrom(block.getHeader());
      assertThat(header.getHeight()).isEqualTo(h);
      assertThat(Hash.of(header.getPreviousHash())).as("link of block %d", h).isEqualTo(previous);
      Hash hash = Blocks.hash(block);
      assertThat(store.heightOf(hash)).contains(h);
      Hash root = store.stateRootAt(h).orElseThrow(() -> new AssertionError("no state root at " + at));
      if (h > 0) {
        assertThat(Hash.of(header.getStateRoot())).as("state root in header %d", h).isEqualTo(previousRoot);
      } else {
        assertThat(Hash.of(header.getStateRoot())).isEqualTo(root);
      }
      List<Receipt> receipts = store.receipts(h);
      assertThat(receipts).as("receipts of block %d", h).hasSize(block.getTransactionsCount());
      for (int i = 0; i < receipts.size(); i++) {
        Hash id = Blocks.txId(block.getTransactions(i));
        assertThat(receipts.get(i).getTxId()).isEqualTo(id.bytes());
        assertThat(receipts.get(i).getIndex()).isEqualTo(i);
        assertThat(receipts.get(i).getHeight()).isEqualTo(h);
        assertThat(store.txLocation(id)).as("tx index of %d/%d", h, i).isPresent();
      }
      previous = hash;
      previousRoot = root;
    }
    assertThat(head.hash()).isEqualTo(previous);
    for (long after = head.height() + 1; after <= head.height() + 3; after++) {
      assertThat(store.block(after)).as("block after the head").isEmpty();
      assertThat(store.stateRootAt(after)).isEmpty();
      assertThat(store.receipts(after)).isEmpty();
    }
    LtHash rebuilt = new LtHash();
    for (Map.Entry<ByteString, ByteString> e : store.state().scan(ByteString.EMPTY)) {
      rebuilt.add(e.getKey(), e.getValue());
    }
    assertThat(rebuilt.root()).as("state root rebuilt from the stored state").isEqualTo(store.stateRoot());
    assertThat(store.lattice()).isEqualTo(rebuilt);
    assertThat(store.stateRootAt(head.height())).contains(store.stateRoot());
    return head.height();
  }
}
