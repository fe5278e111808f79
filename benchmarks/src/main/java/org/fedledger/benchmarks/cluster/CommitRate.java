package org.fedledger.benchmarks.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fedledger.proto.ChainParameters;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commit rate of a four-validator cluster in steady state (see the package doc for the
 * set-up). A closed-loop {@link Feeder} keeps the mempools full through gRPC, spreading
 * submissions over the four validators in batches of up to {@link #SUBMIT_BATCH}
 * ({@code SubmitTransactions}); blocks still carry what the load says (one transaction each
 * for ONE_TX: genesis {@code block_tx_max = 1}).
 *
 * <p><b>One op is one block committed</b>, i.e. executed and stored in RocksDB at validator 0,
 * taken in height order: the score is blocks/s. The auxiliary counter {@code txs} counts the
 * transactions of those blocks, so its score is committed transactions/s. After the trial
 * every receipt of the measured blocks is checked to be a SUCCESS.
 *
 * <p>Loads: {@code ONE_TX} (genesis {@code block_tx_max = 1}: every block carries one signed
 * admin transaction; consensus-bound); {@code BATCH_500} (up to 500 per block, the default); {@code FL_10K} (Multi-Krum rounds of 32 hospitals submitting model updates of
 * 10,000 float32 parameters, 40 KB each). {@code payload} chooses the admin transaction:
 * {@code UPDATE_SELF} (default, the cheapest) or {@code REGISTER} (adds a public-key check).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dlogback.configurationFile=fedledger-benchmarks-logback.xml"})
@State(Scope.Benchmark)
public class CommitRate {
  private static final Logger LOG = LoggerFactory.getLogger(CommitRate.class);

  /** What the blocks carry. */
  public enum Load { ONE_TX, BATCH_500, FL_10K }

  /** What the blocks carry. */
  @Param({"ONE_TX", "BATCH_500", "FL_10K"})
  public Load load;

  /** The admin transaction of ONE_TX and BATCH_500 (FL_10K ignores it). */
  @Param({"UPDATE_SELF"})
  public AdminTransactions.Kind payload;

  /**
   * Admin transactions signed before the run; FL_10K signs {@code presigned / 200} rounds of 32
   * updates. More are signed on demand during the run (counted and logged at the end: such
   * a run also measures the client's signing).
   */
  @Param({"60000"})
  public int presigned;

  /**
   * The validators' vote durability (node config key {@code data.sync_votes}): {@code true}
   * fsyncs the consensus log before a vote leaves (survives a power loss), {@code false}
   * writes it to RocksDB's WAL without fsync (survives kill -9, not a power loss).
   */
  @Param({"true", "false"})
  public boolean syncVotes;

  /** Admins signing the transactions (each keeps at most 1,024 nonces in flight). */
  static final int ADMINS = 32;
  /** Most transactions per SubmitTransactions call of the feeder. */
  static final int SUBMIT_BATCH = 64;
  /** Hospitals per FL round. */
  static final int PARTICIPANTS = 32;
  /** Parameters per FL update. */
  static final int PARAMETERS = 10_000;

  LocalCluster cluster;
  CommitWatch watch;
  Workload workload;
  Feeder feeder;
  long firstHeight;
  long next;

  /** Transactions of the blocks taken by one thread in one iteration (scored per second). */
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class Committed {
    /** Transactions in the blocks counted this iteration. */
    public long txs;

    /** Zeroes the counter before each iteration. */
    @Setup(Level.Iteration)
    public void reset() {
      txs = 0;
    }
  }

  /** Starts the cluster, runs the workload's set-up transactions and starts the feeder. */
  @Setup(Level.Trial)
  public void setup() {
    ChainParameters params = ChainParameters.newBuilder().setBlockTxMax(load == Load.ONE_TX ? 1 : 500).build();
    cluster = LocalCluster.start(params, ADMINS, Map.of("data.sync_votes", Boolean.toString(syncVotes)));
    List<org.fedledger.ledger.store.LedgerStore> stores = new ArrayList<>();
    for (int i = 0; i < LocalCluster.VALIDATORS; i++) {
      stores.add(cluster.validator(i).store());
    }
    if (load == Load.FL_10K) {
      cluster.submitAndAwait(ModelUpdates.setup(cluster.admins().get(0), 1, PARTICIPANTS, PARAMETERS), 60_000);
      watch = new CommitWatch(stores, CommitWatch.THROUGHPUT_POLL_NANOS, (h, b, t) -> { });
      workload = new ModelUpdates(PARTICIPANTS, PARAMETERS, Math.max(1, presigned / 200), watch);
      feeder = new Feeder(workload, channels(), watch, PARTICIPANTS, PARTICIPANTS, PARTICIPANTS);
    } else {
      watch = new CommitWatch(stores, CommitWatch.THROUGHPUT_POLL_NANOS, (h, b, t) -> { });
      workload = new AdminTransactions(payload, cluster.admins(), 1, 1_000_000, presigned);
      // ONE_TX: batches of 64 refill a window of 128, so 64 to 128 stay outstanding.
      int outstanding = load == Load.ONE_TX ? 128 : 8_000;
      feeder = new Feeder(workload, channels(), watch, outstanding, load == Load.ONE_TX ? 64 : 512, SUBMIT_BATCH);
    }
    firstHeight = watch.height() + 1;
    next = firstHeight;
  }

  private List<io.grpc.ManagedChannel> channels() {
    List<io.grpc.ManagedChannel> out = new ArrayList<>();
    for (int i = 0; i < LocalCluster.VALIDATORS; i++) {
      out.add(cluster.channel(i));
    }
    return out;
  }

  /** Waits for the next block to be stored at validator 0; returns its height. */
  @Benchmark
  public long block(Committed committed) {
    watch.awaitHeight(next, 60_000);
    feeder.check();
    committed.txs += watch.txsOf(next);
    return next++;
  }

  /**
   * Logs, after each iteration, what the run looked like at its end: the mempool of every
   * validator and the feeder's outstanding transactions. Full mempools mean the cluster is the
   * bottleneck; empty ones mean the client side (submission) is.
   */
  @TearDown(Level.Iteration)
  public void logIteration() {
    StringBuilder mempools = new StringBuilder();
    for (int i = 0; i < LocalCluster.VALIDATORS; i++) {
      var status = org.fedledger.proto.api.LedgerApiGrpc.newBlockingStub(cluster.channel(i))
          .withDeadlineAfter(5, TimeUnit.SECONDS).getStatus(org.fedledger.proto.api.GetStatusRequest.getDefaultInstance());
      mempools.append(i == 0 ? "" : ", ").append(status.getMempoolSize());
    }
    LOG.warn("{}: at height {}, mempools [{}], feeder outstanding {} of {}", load, watch.height(), mempools,
        feeder.outstanding(), feeder.outstandingMax());
  }

  /** Checks the receipts of the blocks taken, stops the feeder and the cluster. */
  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      if (feeder != null) {
        feeder.close();
        feeder.check();
        long checked = cluster.requireSuccess(firstHeight, next - 1);
        LOG.warn("{}: {} blocks, {} receipts checked SUCCESS; {} submissions retried on a full queue; "
            + "{} transactions signed during the run", load, next - firstHeight, checked, feeder.retried(),
            workload.signedDuringRun());
      }
    } finally {
      if (watch != null) {
        watch.close();
      }
      if (cluster != null) {
        cluster.close();
      }
    }
  }
}
