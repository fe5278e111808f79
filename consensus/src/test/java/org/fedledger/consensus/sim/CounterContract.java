package org.fedledger.consensus.sim;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.fedledger.ledger.exec.Contract;
import org.fedledger.ledger.exec.State;
import org.fedledger.ledger.exec.TxContext;
import org.fedledger.proto.Transaction;

/**
 * A trivial deterministic contract for the simulator: every CloseRound transaction increments a
 * global counter and records at which count it ran, so the state root depends on the order of
 * every transaction ever executed.
 */
final class CounterContract implements Contract {
  private static final ByteString TOTAL = ByteString.copyFrom("sim/total", StandardCharsets.US_ASCII);

  @Override
  public String name() {
    return "sim";
  }

  @Override
  public List<Transaction.PayloadCase> payloads() {
    return List.of(Transaction.PayloadCase.CLOSE_ROUND);
  }

  @Override
  public void execute(TxContext ctx, Transaction tx, State state) {
    long total = state.get(TOTAL).map(b -> b.asReadOnlyByteBuffer().getLong()).orElse(0L) + 1;
    state.put(TOTAL, ByteString.copyFrom(ByteBuffer.allocate(8).putLong(total).array()));
    state.put(ByteString.copyFrom("sim/tx/", StandardCharsets.US_ASCII).concat(ctx.txId().bytes()),
        ByteString.copyFrom(ByteBuffer.allocate(16).putLong(total).putLong(ctx.height()).array()));
  }
}
