package org.fedledger.ledger.exec;

import org.fedledger.proto.Event;

/** Where a contract emits events; they end up in the receipt (or the block's end events). */
@FunctionalInterface
public interface EventSink {
  /** Records {@code event}. Events of a refused transaction are discarded. */
  void emit(Event event);
}
