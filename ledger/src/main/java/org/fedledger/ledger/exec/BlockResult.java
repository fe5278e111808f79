package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.NavigableMap;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.Event;
import org.fedledger.proto.Receipt;

/**
 * What executing one block produced: a receipt per transaction in block order, the events of
 * the contracts' end-of-block work, the net state writes in key order (a {@code null} value
 * is a delete), and the state lattice and root after the block.
 */
public record BlockResult(
    List<Receipt> receipts,
    List<Event> endEvents,
    NavigableMap<ByteString, ByteString> writes,
    LtHash lattice,
    Hash stateRoot) {
  /** Defensive copies of the lists. */
  public BlockResult {
    receipts = List.copyOf(receipts);
    endEvents = List.copyOf(endEvents);
  }
}
