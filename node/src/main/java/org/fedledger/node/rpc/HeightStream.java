package org.fedledger.node.rpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.fedledger.ledger.store.LedgerStore;

/**
 * A server stream over committed heights: sends the past from a start height, then each new
 * block as it commits, honouring gRPC flow control (it pauses while the client is not ready, so
 * a slow client costs a cursor, not a queue). One drain runs at a time per stream, on the
 * shared scheduler, never on the event-loop thread.
 *
 * @param <T> the notification type
 */
final class HeightStream<T> {
  /** Emits the notifications of one height; false when that height is not committed yet. */
  @FunctionalInterface
  interface Source<T> {
    boolean emit(long height, Consumer<T> sink);
  }

  private final LedgerStore store;
  private final CommitFeed feed;
  private final ScheduledExecutorService executor;
  private final ServerCallStreamObserver<T> out;
  private final Source<T> source;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Runnable unsubscribe = () -> { };
  private long next; // only touched inside drain(), which never runs concurrently

  HeightStream(LedgerStore store, CommitFeed feed, ScheduledExecutorService executor,
      ServerCallStreamObserver<T> out, long from, Source<T> source) {
    this.store = store;
    this.feed = feed;
    this.executor = executor;
    this.out = out;
    this.next = from;
    this.source = source;
  }

  void start() {
    out.setOnCancelHandler(this::close);
    out.setOnReadyHandler(this::wake);
    unsubscribe = feed.subscribe(h -> wake());
    wake();
  }

  private void close() {
    if (closed.compareAndSet(false, true)) {
      unsubscribe.run();
    }
  }

  /** Schedules a drain unless one is already scheduled or running (it will loop). */
  private void wake() {
    if (pending.getAndIncrement() == 0) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    do {
      pending.set(1);
      try {
        long head = store.head().map(h -> h.height()).orElse(-1L);
        while (!closed.get() && out.isReady() && next <= head) {
          if (!source.emit(next, out::onNext)) {
            break;
          }
          next++;
        }
      } catch (RuntimeException e) {
        if (closed.compareAndSet(false, true)) {
          unsubscribe.run();
          out.onError(Status.UNAVAILABLE.withDescription("stream failed: " + e.getMessage()).asRuntimeException());
        }
        return;
      }
    } while (pending.decrementAndGet() > 0);
  }
}
