package org.fedledger.node.store;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.WriteBuffer;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.CommitCertificate;

/**
 * The genesis block and state of a chain, and committing them into an empty store. Every
 * validator derives the same height-0 block from the same genesis file, so it needs no
 * certificate: its certificate names the block and carries no signatures.
 */
public final class GenesisCommit {
  private GenesisCommit() {}

  /** The genesis state: the registry's validators and admins. */
  public static MemoryState genesisState(Chain chain) {
    MemoryState state = new MemoryState();
    RegistryContract.writeGenesis(chain.genesis(), state);
    return state;
  }

  /** The certified genesis block of {@code chain}. */
  public static CertifiedBlock genesisBlock(Chain chain) {
    Block block = Blocks.genesis(chain, genesisState(chain).lattice().root());
    return CertifiedBlock.newBuilder().setBlock(block)
        .setCertificate(CommitCertificate.newBuilder().setHeight(0).setBlockHash(Blocks.hash(block).bytes()))
        .build();
  }

  /**
   * Commits the genesis block if {@code store} is empty, and returns the head either way.
   */
  public static ChainHead ensureGenesis(LedgerStore store, Chain chain) {
    if (store.head().isPresent()) {
      return store.head().get();
    }
    MemoryState state = genesisState(chain);
    TreeMap<ByteString, ByteString> writes = new TreeMap<>(WriteBuffer.KEY_ORDER);
    for (Map.Entry<ByteString, ByteString> e : state.scan(ByteString.EMPTY)) {
      writes.put(e.getKey(), e.getValue());
    }
    Hash root = state.lattice().root();
    BlockResult result = new BlockResult(List.of(), List.of(), writes, state.lattice(), root);
    store.commitBlock(genesisBlock(chain), result, Durability.SYNC);
    return store.head().orElseThrow();
  }
}
