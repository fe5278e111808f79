package org.fedledger.benchmarks.cluster;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.proto.CertifiedBlock;

/**
 * One daemon thread that watches the committed heads of the validators' stores (a volatile
 * read each, every poll period) and, for the first validator, reads each newly stored
 * block once to count its transactions and hand it to a {@link Listener}. Waiters park and are
 * woken after each advance.
 *
 * <p>Commit times are therefore seen up to one poll period late (plus the park overshoot of
 * the OS, typically 50-60 us on Linux); the benchmarks that use it say so.
 */
public final class CommitWatch implements AutoCloseable {
  /** Poll period of the heads for latency measurements. */
  public static final long POLL_NANOS = 50_000;
  /**
   * Poll period of the heads for throughput measurements: 1,000 wake-ups/s. The watch shares
   * the two cores with the validators it measures; at 200 µs it took ~5 % of the JVM's CPU
   * (async-profiler, CommitRate ONE_TX), and a 5 s iteration does not need finer steps.
   */
  public static final long THROUGHPUT_POLL_NANOS = 1_000_000;
  private static final int RING = 1 << 16;

  /** Told of each block stored at the first watched validator, in height order, on the watch thread. */
  public interface Listener {
    /** Block {@code height} was seen stored at {@code seenNanos} ({@link System#nanoTime}). */
    void committed(long height, CertifiedBlock block, long seenNanos);
  }

  private final List<LedgerStore> stores;
  private final Listener listener;
  private final Thread thread;
  private final long[] heights;
  private final long[] cumulativeTxs = new long[RING];
  private final Set<Thread> waiters = ConcurrentHashMap.newKeySet();
  private final long startHeight;
  private final long pollNanos;
  private volatile long height;
  private volatile long txs;
  private volatile boolean running = true;

  /**
   * Watches {@code stores} every {@code pollNanos}; blocks of {@code stores.get(0)} go to
   * {@code listener}.
   */
  public CommitWatch(List<LedgerStore> stores, long pollNanos, Listener listener) {
    this.pollNanos = pollNanos;
    this.stores = List.copyOf(stores);
    this.listener = listener;
    this.heights = new long[stores.size()];
    for (int i = 0; i < heights.length; i++) {
      heights[i] = head(stores.get(i));
    }
    this.startHeight = heights[0];
    this.height = startHeight;
    this.thread = new Thread(this::run, "commit-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private static long head(LedgerStore store) {
    return store.head().orElseThrow().height();
  }

  private void run() {
    while (running) {
      boolean advanced = false;
      for (int i = 0; i < heights.length; i++) {
        long h = head(stores.get(i));
        if (h != heights[i]) {
          heights[i] = h;
          advanced = true;
        }
      }
      long seen = System.nanoTime();
      long done = height;
      long n = txs;
      while (done < heights[0]) {
        long next = done + 1;
        CertifiedBlock block = stores.get(0).block(next).orElseThrow();
        n += block.getBlock().getTransactionsCount();
        cumulativeTxs[(int) (next & (RING - 1))] = n;
        listener.committed(next, block, seen);
        done = next;
      }
      txs = n;
      height = done;
      if (advanced) {
        for (Thread t : waiters) {
          LockSupport.unpark(t);
        }
      }
      LockSupport.parkNanos(pollNanos);
    }
  }

  /** The newest height seen stored at the first validator. */
  public long height() {
    return height;
  }

  /** Transactions in the blocks seen at the first validator since this watch started. */
  public long txs() {
    return txs;
  }

  /** Transactions of block {@code h}; valid for the last 65,536 blocks seen. */
  public long txsOf(long h) {
    if (h <= startHeight || h > height || height - h >= RING - 1) {
      throw new IllegalArgumentException("block " + h + " is not in the watched window");
    }
    long before = h - 1 == startHeight ? 0 : cumulativeTxs[(int) ((h - 1) & (RING - 1))];
    return cumulativeTxs[(int) (h & (RING - 1))] - before;
  }

  /** How many watched validators have stored height {@code h} now. */
  public int countAtLeast(long h) {
    int c = 0;
    for (LedgerStore s : stores) {
      if (head(s) >= h) {
        c++;
      }
    }
    return c;
  }

  /**
   * Parks until the first validator has stored height {@code h}.
   *
   * @throws IllegalStateException after {@code timeoutMillis} (the cluster made no progress)
   */
  public void awaitHeight(long h, long timeoutMillis) {
    awaitCondition(() -> height >= h, timeoutMillis, "height " + h);
  }

  /** Parks until at least {@code count} watched validators have stored height {@code h}. */
  public void awaitStoredAt(long h, int count, long timeoutMillis) {
    awaitCondition(() -> countAtLeast(h) >= count, timeoutMillis, "height " + h + " at " + count + " validators");
  }

  /** Parks up to {@code nanos}, or until the next advance. */
  public void park(long nanos) {
    Thread me = Thread.currentThread();
    waiters.add(me);
    try {
      LockSupport.parkNanos(this, nanos);
    } finally {
      waiters.remove(me);
    }
  }

  /** Parks until {@code condition} holds (checked after each advance). */
  public void awaitCondition(java.util.function.BooleanSupplier condition, long timeoutMillis, String what) {
    if (condition.getAsBoolean()) {
      return;
    }
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    Thread me = Thread.currentThread();
    waiters.add(me);
    try {
      while (!condition.getAsBoolean()) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("no commit of " + what + " within " + timeoutMillis
              + " ms (first validator at " + height + ")");
        }
        LockSupport.parkNanos(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
      }
    } finally {
      waiters.remove(me);
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
