package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedledger.proto.Event;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Transaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes a block's transactions, in order, through the native contracts, deterministically.
 *
 * <p>Per transaction: the signer's nonce window is checked (a replayed or too-old nonce is
 * refused and changes nothing); the transaction is dispatched by payload type to its contract
 * over a fresh {@link WriteBuffer}; on success the writes join the block's buffer, on refusal
 * they are discarded. The nonce of a transaction that reached its contract is consumed either
 * way, so the same signed transaction can never run twice. After the last transaction every
 * contract's {@link Contract#endBlock} runs in registration order.
 *
 * <p>Inputs are {@link ParsedTx}s that already passed stateless validation (structure, size,
 * chain id, signature): signatures are verified once, before a block is voted on, never again
 * here.
 */
public final class Executor {
  private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

  /** Receipt code for a payload no contract executes. */
  public static final String UNKNOWN_PAYLOAD = "UNKNOWN_PAYLOAD";
  /** Receipt code for a nonce used before. */
  public static final String NONCE_REPLAYED = "NONCE_REPLAYED";
  /** Receipt code for a nonce below the replay window. */
  public static final String NONCE_TOO_OLD = "NONCE_TOO_OLD";
  /** Receipt code for a contract that failed with an unexpected exception (a contract bug). */
  public static final String CONTRACT_ERROR = "CONTRACT_ERROR";

  private final List<Contract> contracts;
  private final EnumMap<Transaction.PayloadCase, Contract> dispatch =
      new EnumMap<>(Transaction.PayloadCase.class);
  private final int nonceWindow;
  /** Expansions of the state entries this executor added lately (most keys kept: 4,096, 8 MiB). */
  private final Expansions expansions = new Expansions(4_096);

  /**
   * An executor over {@code contracts}; each payload case may be claimed by one contract only.
   *
   * @param nonceWindow the replay window, a positive multiple of 64 (genesis parameter)
   */
  public Executor(List<Contract> contracts, int nonceWindow) {
    this.contracts = List.copyOf(contracts);
    this.nonceWindow = nonceWindow;
    for (Contract c : this.contracts) {
      for (Transaction.PayloadCase p : c.payloads()) {
        Contract previous = dispatch.put(p, c);
        if (previous != null) {
          throw new IllegalArgumentException(
              "payload " + p + " claimed by both " + previous.name() + " and " + c.name());
        }
      }
    }
  }

  /**
   * How often changing or deleting a state entry reused the expansion this executor remembered
   * for its old value ({@code hits}) instead of computing it ({@code misses}).
   */
  public record ExpansionStats(long hits, long misses) {}

  /** The expansion cache's counts since this executor was made. */
  public ExpansionStats expansionStats() {
    return new ExpansionStats(expansions.hits(), expansions.misses());
  }

  /** The contracts, in registration order. */
  public List<Contract> contracts() {
    return contracts;
  }

  /**
   * Executes {@code txs} as block {@code block} over {@code base}, whose lattice hash is
   * {@code baseLattice}. Neither argument is modified.
   */
  public BlockResult execute(BlockContext block, List<ParsedTx> txs, StateView base, LtHash baseLattice) {
    WriteBuffer blockState = new WriteBuffer(base);
    List<Receipt> receipts = new ArrayList<>(txs.size());
    for (int i = 0; i < txs.size(); i++) {
      receipts.add(executeOne(block, i, txs.get(i), blockState));
    }
    List<Event> endEvents = new ArrayList<>();
    for (Contract c : contracts) {
      WriteBuffer end = new WriteBuffer(blockState);
      List<Event> events = new ArrayList<>();
      try {
        c.endBlock(block, end, events::add);
        end.applyTo(blockState);
        endEvents.addAll(events);
      } catch (RuntimeException bug) {
        LOG.error("contract {} failed at end of block {}; its end-of-block writes are discarded",
            c.name(), block.height(), bug);
        endEvents.add(Event.newBuilder().setType("contract.error")
            .addAttributes(attr("contract", c.name()))
            .addAttributes(attr("error", String.valueOf(bug))).build());
      }
    }
    LtHash lattice = baseLattice.copy();
    for (Map.Entry<ByteString, ByteString> w : blockState.writes().entrySet()) {
      Optional<ByteString> old = base.get(w.getKey());
      old.ifPresent(v -> expansions.remove(lattice, w.getKey(), v));
      if (w.getValue() != null) {
        expansions.add(lattice, w.getKey(), w.getValue());
      }
    }
    return new BlockResult(receipts, endEvents, blockState.writes(), lattice, lattice.root());
  }

  private Receipt executeOne(BlockContext block, int index, ParsedTx ptx, WriteBuffer blockState) {
    Transaction tx = ptx.tx();
    Receipt.Builder receipt = Receipt.newBuilder()
        .setTxId(ptx.id().bytes()).setHeight(block.height()).setIndex(index);
    ByteString nonceKey = NonceWindow.key(tx.getSigner());
    NonceWindow nonces = NonceWindow.loadAt(blockState, nonceKey, nonceWindow);
    switch (nonces.check(tx.getNonce())) {
      case REPLAYED:
        return reject(receipt, NONCE_REPLAYED, "nonce " + Long.toUnsignedString(tx.getNonce()) + " was already used");
      case TOO_OLD:
        return reject(receipt, NONCE_TOO_OLD, "nonce " + Long.toUnsignedString(tx.getNonce())
            + " is below the replay window of " + nonceWindow);
      case ACCEPTED:
        break;
    }
    nonces.record(tx.getNonce());
    nonces.storeAt(blockState, nonceKey);

    Contract contract = dispatch.get(tx.getPayloadCase());
    if (contract == null) {
      return reject(receipt, UNKNOWN_PAYLOAD, "no contract executes payload " + tx.getPayloadCase());
    }
    WriteBuffer txState = new WriteBuffer(blockState);
    List<Event> events = new ArrayList<>();
    TxContext ctx = new TxContext(ptx.id(), tx.getSigner(), block.height(), block.timestampMillis(),
        index, events::add);
    try {
      contract.execute(ctx, tx, txState);
    } catch (ContractException refused) {
      return reject(receipt, refused.code(), refused.getMessage());
    } catch (RuntimeException bug) {
      LOG.error("contract {} failed on tx {} at height {}", contract.name(), ptx.id().shortHex(),
          block.height(), bug);
      return reject(receipt, CONTRACT_ERROR, "contract " + contract.name() + " failed: " + bug);
    }
    txState.applyTo(blockState);
    return receipt.setStatus(ReceiptStatus.SUCCESS).addAllEvents(events).build();
  }

  private static Receipt reject(Receipt.Builder receipt, String code, String reason) {
    return receipt.setStatus(ReceiptStatus.REJECTED).setCode(code).setReason(reason).build();
  }

  private static org.fedledger.proto.Attribute attr(String key, String value) {
    return org.fedledger.proto.Attribute.newBuilder().setKey(key).setValue(value).build();
  }
}
