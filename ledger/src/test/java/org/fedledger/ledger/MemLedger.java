package org.fedledger.ledger;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Contract;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.Transaction;

/**
 * An in-memory ledger for tests: the genesis registry in a {@link MemoryState}, blocks of
 * signed and validated transactions run through the real {@link Executor}, writes applied.
 */
public final class MemLedger {
  public final MemoryState state = new MemoryState();
  public final Executor executor;
  public long height;
  public BlockResult last;

  /** The test genesis with the registry contract and {@code extra} contracts. */
  public MemLedger(int nonceWindow, Contract... extra) {
    List<Contract> contracts = new ArrayList<>();
    contracts.add(new RegistryContract());
    contracts.addAll(List.of(extra));
    executor = new Executor(contracts, nonceWindow);
    RegistryContract.writeGenesis(TestLedger.genesis().build(), state);
  }

  /** Executes one block of already parsed transactions and applies its writes. */
  public BlockResult block(List<ParsedTx> txs) {
    height++;
    BlockContext ctx = new BlockContext(TestLedger.CHAIN_ID, height, 1_000L * height,
        Hash.sha256(ByteString.copyFromUtf8("block-" + height)));
    last = executor.execute(ctx, txs, state, state.lattice());
    for (Map.Entry<ByteString, ByteString> w : last.writes().entrySet()) {
      if (w.getValue() == null) {
        state.delete(w.getKey());
      } else {
        state.put(w.getKey(), w.getValue());
      }
    }
    return last;
  }

  /** Signs, validates and executes {@code tx} alone in a block; returns its receipt. */
  public Receipt run(KeyPair signer, Transaction tx) {
    return block(List.of(TestLedger.parsed(signer, tx))).receipts().get(0);
  }

  /** Every state entry whose key starts with {@code prefix}, for before/after comparisons. */
  public List<Map.Entry<ByteString, ByteString>> entries(String prefix) {
    return state.scan(ByteString.copyFromUtf8(prefix));
  }
}
