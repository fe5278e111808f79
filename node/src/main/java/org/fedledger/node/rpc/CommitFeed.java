package org.fedledger.node.rpc;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;

/**
 * Tells RPC waiters and streams that a block was committed. The event loop calls
 * {@link #committed(long)} after each block is durably stored; listeners run on the event-loop
 * thread and must only hand work off (never block).
 */
public final class CommitFeed {
  private final CopyOnWriteArrayList<LongConsumer> listeners = new CopyOnWriteArrayList<>();
  private volatile long height = -1;

  /** Registers {@code listener} for every later commit; returns a handle that removes it. */
  public Runnable subscribe(LongConsumer listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Announces that block {@code committedHeight} is stored. */
  public void committed(long committedHeight) {
    height = committedHeight;
    for (LongConsumer l : listeners) {
      l.accept(committedHeight);
    }
  }

  /** The newest height announced, -1 before any. */
  public long height() {
    return height;
  }

  /** Number of listeners (for tests and metrics). */
  public int listenerCount() {
    return listeners.size();
  }
}
