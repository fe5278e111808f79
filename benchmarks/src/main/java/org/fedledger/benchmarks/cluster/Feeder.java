package org.fedledger.benchmarks.cluster;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitResult;
import org.fedledger.proto.api.SubmitTransactionsRequest;
import org.fedledger.proto.api.SubmitTransactionsResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A closed-loop client: one thread that keeps up to {@code outstandingMax} transactions accepted
 * but not yet committed (as seen by a {@link CommitWatch}), submitting them in batches with
 * {@code SubmitTransactions} (asynchronously, to the validators in turn, at most
 * {@code callsMax} calls in flight). It waits until {@code min(batchMax, outstandingMax / 2)}
 * slots are free, then fills them with calls of up to {@code batchMax} transactions and
 * {@link #BATCH_BYTES_MAX} bytes: so at least half the window (at least
 * {@code outstandingMax - batchMax}) stays outstanding and the mempools stay full. A
 * transaction refused with RESOURCE_EXHAUSTED (mempool or input queue full) is retried; any
 * other refusal is a broken workload and stops the feeder with that error.
 */
public final class Feeder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Feeder.class);
  /** Most envelope bytes in one call: below every server's limit (the chain's tx_bytes_max + 1 MiB). */
  static final int BATCH_BYTES_MAX = 1 << 20;

  private final Workload workload;
  private final List<ManagedChannel> channels;
  private final CommitWatch watch;
  private final int outstandingMax;
  private final int batchMax;
  private final int refillMin;
  private final Semaphore calls;
  private final int callsMax;
  private final ConcurrentLinkedQueue<Envelope> retry = new ConcurrentLinkedQueue<>();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final long watchTxsAtStart;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long sent;

  /**
   * Starts feeding {@code workload} to {@code channels}.
   *
   * @param outstandingMax most transactions submitted and not yet committed
   * @param callsMax most SubmitTransactions calls in flight
   * @param batchMax most transactions in one call (1 to 1,000, the API's limit)
   */
  public Feeder(Workload workload, List<ManagedChannel> channels, CommitWatch watch, int outstandingMax,
      int callsMax, int batchMax) {
    if (batchMax < 1 || batchMax > 1_000 || outstandingMax < 1 || callsMax < 1) {
      throw new IllegalArgumentException("outstandingMax " + outstandingMax + ", callsMax " + callsMax
          + " must be positive and batchMax " + batchMax + " within 1..1000");
    }
    this.workload = workload;
    this.channels = List.copyOf(channels);
    this.watch = watch;
    this.outstandingMax = outstandingMax;
    this.batchMax = batchMax;
    this.refillMin = Math.max(1, Math.min(batchMax, outstandingMax / 2));
    this.calls = new Semaphore(callsMax);
    this.callsMax = callsMax;
    this.watchTxsAtStart = watch.txs();
    this.thread = new Thread(this::run, "feeder");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    int target = 0;
    try {
      while (running && failure.get() == null) {
        long free = outstandingMax - outstanding();
        if (free < refillMin) {
          watch.park(TimeUnit.MILLISECONDS.toNanos(1));
          continue;
        }
        if (!calls.tryAcquire(10, TimeUnit.MILLISECONDS)) {
          continue;
        }
        List<Envelope> batch = take((int) Math.min(free, batchMax));
        if (batch.isEmpty()) {
          calls.release();
          watch.park(TimeUnit.MILLISECONDS.toNanos(1));
          continue;
        }
        sent += batch.size();
        submit(channels.get(target), batch);
        target = (target + 1) % channels.size();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
    }
  }

  /** Up to {@code n} transactions (retries first) within {@link #BATCH_BYTES_MAX}. */
  private List<Envelope> take(int n) {
    List<Envelope> batch = new ArrayList<>(n);
    long bytes = 0;
    while (batch.size() < n) {
      Envelope env = retry.poll();
      if (env == null) {
        env = workload.next();
      }
      if (env == null) {
        break;
      }
      int size = env.getSerializedSize() + 8;
      if (!batch.isEmpty() && bytes + size > BATCH_BYTES_MAX) {
        retry.add(env); // goes in a later call
        break;
      }
      batch.add(env);
      bytes += size;
    }
    return batch;
  }

  private void submit(ManagedChannel channel, List<Envelope> batch) {
    batches.incrementAndGet();
    LedgerApiGrpc.newStub(channel).submitTransactions(SubmitTransactionsRequest.newBuilder().addAllEnvelopes(batch)
        .build(), new StreamObserver<>() {
          @Override
          public void onNext(SubmitTransactionsResponse value) {
            if (value.getResultsCount() != batch.size()) {
              fail(new IllegalStateException(value.getResultsCount() + " results for " + batch.size() + " transactions"));
              return;
            }
            for (int i = 0; i < batch.size(); i++) {
              SubmitResult r = value.getResults(i);
              if (r.getAccepted()) {
                accepted.incrementAndGet();
              } else if (r.getCode() == Status.Code.RESOURCE_EXHAUSTED.value()) {
                retried.incrementAndGet();
                retry.add(batch.get(i));
              } else {
                fail(Status.fromCodeValue(r.getCode()).withDescription(r.getReason()).asRuntimeException());
              }
            }
          }

          @Override
          public void onError(Throwable t) {
            fail(t);
            calls.release();
          }

          @Override
          public void onCompleted() {
            calls.release();
          }
        });
  }

  private void fail(Throwable t) {
    if (running && failure.compareAndSet(null, t)) {
      LOG.error("a benchmark submission was refused: {}", Status.fromThrowable(t));
    }
  }

  /** Submitted and not refused (accepted or in flight), less committed. */
  public long outstanding() {
    return sent - retried.get() - (watch.txs() - watchTxsAtStart);
  }

  /** The most transactions kept outstanding. */
  public int outstandingMax() {
    return outstandingMax;
  }

  /** Transactions accepted by a validator so far. */
  public long accepted() {
    return accepted.get();
  }

  /** SubmitTransactions calls made so far. */
  public long batches() {
    return batches.get();
  }

  /** Submissions refused because a queue was full, then retried. */
  public long retried() {
    return retried.get();
  }

  /**
   * Throws if a submission was refused for a reason other than a full queue.
   *
   * @throws IllegalStateException with the refusal
   */
  public void check() {
    Throwable t = failure.get();
    if (t != null) {
      throw new IllegalStateException("feeder stopped: " + t, t);
    }
  }

  /** Stops submitting and waits (up to 10 s) for the calls in flight to be answered. */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(2_000);
      if (!calls.tryAcquire(callsMax, 10, TimeUnit.SECONDS)) {
        LOG.warn("{} submissions still unanswered when the feeder stopped", callsMax - calls.availablePermits());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
