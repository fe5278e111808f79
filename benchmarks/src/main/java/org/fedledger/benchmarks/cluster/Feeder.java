package org.fedledger.benchmarks.cluster;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.SubmitTransactionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A closed-loop client: one thread that keeps {@code outstandingMax} transactions accepted but
 * not yet committed (as seen by a {@link CommitWatch}), submitting asynchronously over gRPC to
 * the validators in turn with at most {@code callsMax} calls in flight. A submission refused
 * with RESOURCE_EXHAUSTED (mempool or input queue full) is retried; any other refusal is a
 * broken workload and stops the feeder with that error.
 */
public final class Feeder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Feeder.class);

  private final Workload workload;
  private final List<ManagedChannel> channels;
  private final CommitWatch watch;
  private final int outstandingMax;
  private final Semaphore calls;
  private final int callsMax;
  private final ConcurrentLinkedQueue<Envelope> retry = new ConcurrentLinkedQueue<>();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final long watchTxsAtStart;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long sent;

  /** Starts feeding {@code workload} to {@code channels}. */
  public Feeder(Workload workload, List<ManagedChannel> channels, CommitWatch watch, int outstandingMax,
      int callsMax) {
    this.workload = workload;
    this.channels = List.copyOf(channels);
    this.watch = watch;
    this.outstandingMax = outstandingMax;
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
        if (outstanding() >= outstandingMax) {
          watch.park(TimeUnit.MILLISECONDS.toNanos(1));
          continue;
        }
        Envelope env = retry.poll();
        if (env == null) {
          env = workload.next();
        }
        if (env == null) {
          watch.park(TimeUnit.MILLISECONDS.toNanos(1));
          continue;
        }
        if (!calls.tryAcquire(10, TimeUnit.MILLISECONDS)) {
          retry.add(env);
          continue;
        }
        submit(channels.get(target), env);
        target = (target + 1) % channels.size();
        sent++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
    }
  }

  private void submit(ManagedChannel channel, Envelope env) {
    LedgerApiGrpc.newStub(channel).submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(SubmitTransactionResponse value) {
            accepted.incrementAndGet();
          }

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            if (s.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
              retried.incrementAndGet();
              retry.add(env);
            } else if (running && failure.compareAndSet(null, t)) {
              LOG.error("a benchmark transaction was refused: {}", s);
            }
            calls.release();
          }

          @Override
          public void onCompleted() {
            calls.release();
          }
        });
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
