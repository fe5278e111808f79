package org.fedledger.benchmarks.cluster;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.proto.ChainParameters;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.SubmitTransactionResponse;

/**
 * Open-loop latency: transactions are offered at a fixed rate whatever the cluster does, and
 * each one's latency is measured from its <em>intended</em> send time (so queueing delay is not
 * hidden: no coordinated omission) until its receipt is stored at validator 0. Submissions are
 * spread over the four validators. Prints an HdrHistogram's percentiles in microseconds.
 * Each transaction is its own unary {@code SubmitTransaction} call, sent at its own intended
 * time: batching them ({@code SubmitTransactions}) would hold early ones back for later ones
 * and so add a client-made delay to what is measured.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.fedledger.benchmarks.cluster.OpenLoopLatency \
 *     [rate_per_second=1000] [seconds=20] [warmup_seconds=5] [block_tx_max=500]
 * </pre>
 */
public final class OpenLoopLatency {
  /**
   * What one run measured.
   *
   * @param refused submissions refused (a full queue): they are lost, as an open-loop client would lose them
   * @param lost transactions accepted but not committed 30 s after the last was offered
   */
  public record Result(double offeredPerSecond, long committed, long refused, long lost, Histogram micros) {
    /** Prints the percentiles. */
    public void print(PrintStream out) {
      out.printf("offered %.0f tx/s; %d committed, %d refused (queue full), %d not committed by the end%n",
          offeredPerSecond, committed, refused, lost);
      out.printf("latency submit -> receipt at validator 0, us: p50 %d  p90 %d  p99 %d  p99.9 %d  max %d  (mean %.0f)%n",
          micros.getValueAtPercentile(50), micros.getValueAtPercentile(90), micros.getValueAtPercentile(99),
          micros.getValueAtPercentile(99.9), micros.getMaxValue(), micros.getMean());
    }
  }

  private OpenLoopLatency() {}

  /** Runs with the arguments described in the class comment. */
  public static void main(String[] args) {
    double rate = args.length > 0 ? Double.parseDouble(args[0]) : 1_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int blockTxMax = args.length > 3 ? Integer.parseInt(args[3]) : 500;
    if (rate <= 0 || seconds <= 0 || warmup < 0 || blockTxMax < 0) {
      throw new IllegalArgumentException("usage: OpenLoopLatency [rate_per_second>0] [seconds>0] [warmup_seconds>=0] [block_tx_max>=0]");
    }
    Result r = run(rate, seconds, warmup, blockTxMax);
    r.print(System.out);
    System.exit(0);
  }

  /** Offers {@code rate} tx/s for {@code warmup + seconds} s; records the last {@code seconds}. */
  public static Result run(double rate, int seconds, int warmup, int blockTxMax) {
    long total = (long) Math.ceil(rate * (seconds + warmup));
    if (total > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("rate x duration too large: " + total + " transactions");
    }
    long warmupCount = (long) (rate * warmup);
    Histogram micros = new Histogram(TimeUnit.SECONDS.toMicros(120), 3);
    Map<Hash, Long> intended = new ConcurrentHashMap<>();
    AtomicLong committed = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicReference<String> failure = new AtomicReference<>();
    try (LocalCluster cluster = LocalCluster.start(ChainParameters.newBuilder().setBlockTxMax(blockTxMax).build(),
        CommitRate.ADMINS, Map.of())) {
      AdminTransactions txs = new AdminTransactions(AdminTransactions.Kind.UPDATE_SELF, cluster.admins(), 1, 0,
          (int) total);
      Envelope[] envs = new Envelope[(int) total];
      Hash[] ids = new Hash[(int) total];
      for (int k = 0; k < total; k++) {
        envs[k] = txs.next();
        ids[k] = Hash.sha256(envs[k].getBody());
      }
      Map<Hash, Integer> index = new ConcurrentHashMap<>();
      List<LedgerStore> stores = List.of(cluster.validator(0).store());
      try (CommitWatch watch = new CommitWatch(stores, CommitWatch.POLL_NANOS, (h, block, seen) -> {
        for (Envelope e : block.getBlock().getTransactionsList()) {
          Hash id = Hash.sha256(e.getBody());
          Long start = intended.remove(id);
          Integer k = index.remove(id);
          if (start != null) {
            committed.incrementAndGet();
            if (k != null && k >= warmupCount) {
              micros.recordValue(Math.max(0, (seen - start) / 1_000));
            }
          }
        }
      })) {
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < LocalCluster.VALIDATORS; i++) {
          channels.add(cluster.channel(i));
        }
        double periodNanos = 1e9 / rate;
        long start = System.nanoTime();
        for (int k = 0; k < total; k++) {
          long at = start + (long) (k * periodNanos);
          long wait = at - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
          intended.put(ids[k], at);
          index.put(ids[k], k);
          submit(channels.get(k % channels.size()), envs[k], ids[k], intended, index, refused, failure);
          envs[k] = null;
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!intended.isEmpty() && System.nanoTime() < end) {
          watch.park(TimeUnit.MILLISECONDS.toNanos(10));
        }
        if (failure.get() != null) {
          throw new IllegalStateException("a benchmark transaction was refused: " + failure.get());
        }
        cluster.requireSuccess(1, watch.height());
        return new Result(rate, committed.get(), refused.get(), intended.size(), micros);
      }
    }
  }

  private static void submit(ManagedChannel channel, Envelope env, Hash id, Map<Hash, Long> intended,
      Map<Hash, Integer> index, AtomicLong refused, AtomicReference<String> failure) {
    LedgerApiGrpc.newStub(channel).submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build(),
        new StreamObserver<SubmitTransactionResponse>() {
          @Override
          public void onNext(SubmitTransactionResponse value) {}

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            if (s.getCode() != Status.Code.RESOURCE_EXHAUSTED) {
              failure.compareAndSet(null, s.toString());
            }
            refused.incrementAndGet();
            intended.remove(id);
            index.remove(id);
          }

          @Override
          public void onCompleted() {}
        });
  }
}
