package org.fedledger.node.exec;

import java.util.concurrent.locks.LockSupport;

/**
 * The event loop's group-commit fsync thread ({@code fedledger-sync-N}): the loop writes a
 * batch's records without fsync, numbers the write, and {@link #request}s "durable up to write
 * {@code w}"; this thread fsyncs the write-ahead log ({@code sync}, e.g. RocksDB's
 * {@code syncWal()}, which is safe concurrently with writes and makes durable everything written
 * before it is called) and then publishes {@link #durable} and calls {@code onDurable} (which
 * wakes the loop). One fsync covers every write requested before it started: while it runs, the
 * loop keeps stepping and writing, and the next fsync covers all of those batches at once.
 *
 * <p>A failed fsync is final: the thread records it ({@link #failure}), wakes the loop, which
 * stops on it, and never syncs again. On Linux a failed fsync may have dropped the dirty pages, so
 * a later "successful" fsync would not prove the earlier writes durable: {@link #durable} never
 * moves past a failure, so nothing that waits for it is released.
 */
final class WalSyncer {
  private final Runnable sync;
  private final Runnable onDurable;
  private final Thread thread;
  /** Highest write number asked to be made durable (the loop writes it, this thread reads it). */
  private volatile long requested;
  /** Highest write number known durable (this thread writes it). */
  private volatile long durable;
  private volatile Throwable failure;
  private volatile boolean closing;

  /**
   * Starts the thread.
   *
   * @param sync makes every write so far durable (throws on failure)
   * @param onDurable called on this thread after {@link #durable} advanced or a failure was recorded
   */
  WalSyncer(String name, Runnable sync, Runnable onDurable) {
    this.sync = java.util.Objects.requireNonNull(sync, "sync");
    this.onDurable = java.util.Objects.requireNonNull(onDurable, "onDurable");
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true); // never keeps a JVM alive; the loop joins it when it stops
    thread.start();
  }

  /**
   * Asks that every write up to number {@code write} (already returned from the store) be made
   * durable. Called by the loop thread only; never blocks.
   */
  void request(long write) {
    if (write > requested) {
      requested = write;
      LockSupport.unpark(thread);
    }
  }

  /** The highest write number made durable (0 before the first fsync). */
  long durable() {
    return durable;
  }

  /** True when no fsync is running or asked for (everything requested is durable). */
  boolean idle() {
    return requested <= durable;
  }

  /** The fsync failure that stopped this syncer, or null. */
  Throwable failure() {
    return failure;
  }

  /**
   * Stops the thread after the fsync it may be running (requests not yet started are not
   * synced) and waits for it to end. Idempotent; callable from any thread but this one's.
   */
  void close() {
    closing = true;
    LockSupport.unpark(thread);
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true; // the store is closed after this returns: the fsync must be over first
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** True while the thread runs (tests: nothing leaks once the loop stopped). */
  boolean isAlive() {
    return thread.isAlive();
  }

  private void run() {
    while (!closing) {
      long target = requested; // read BEFORE the fsync: it covers every write counted in target
      if (target <= durable) {
        LockSupport.park(this);
        continue;
      }
      try {
        sync.run();
      } catch (Throwable t) {
        failure = t;
        onDurable.run();
        return;
      }
      durable = target;
      onDurable.run();
    }
  }
}
