package org.fedledger.benchmarks.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.proto.ChainParameters;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.api.GetStatusRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.SubmitTransactionRequest;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Latency of one transaction through consensus, sampled ({@code Mode.SampleTime}: JMH
 * reports p50, p90, p99, p99.9 ...).
 *
 * <p><b>What one sample is.</b> The node exposes no hook to timestamp the leader's PRE-PREPARE,
 * so this measures the closest honest proxy: from the client's call of SubmitTransaction (a
 * probe transaction (an admin updating its own record), over gRPC to the leader, validator 0) until the block that carries it is
 * executed and stored in RocksDB at 2f+1 = 3 of the 4 validators. The height of that block is
 * learned from validator 0's store. A sample therefore also includes the gRPC round trip, the
 * intake check (one Ed25519 verification) and the forwarding of the transaction, and commit
 * times are seen up to one {@link CommitWatch#POLL_NANOS} late.
 *
 * <p>Loads: {@code LOW}, one probe in flight and nothing else (one block in flight);
 * {@code SATURATED}, the probe competes with a closed-loop {@link Feeder} that keeps 8,000
 * admin transactions outstanding in blocks of up to 500 (the load of {@code CommitRate.BATCH_500}),
 * submitted in batches ({@code SubmitTransactions}); the probe itself is always one unary
 * {@code SubmitTransaction} (a client's view of one transaction).
 * {@code proposeDelayTicks} is the node's {@code consensus.propose_delay_ticks}: the leader
 * waits up to that many 10 ms ticks for a fuller block (node default 1, benchmark default 0:
 * with 1 a lone transaction waits for the next tick, 10 ms, whatever the protocol's speed).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dlogback.configurationFile=fedledger-benchmarks-logback.xml"})
@State(Scope.Benchmark)
public class ConsensusLatency {
  private static final Logger LOG = LoggerFactory.getLogger(ConsensusLatency.class);
  /** The background load. */
  public enum Load { LOW, SATURATED }

  /** The background load. */
  @Param({"LOW", "SATURATED"})
  public Load load;

  /**
   * The node's consensus.propose_delay_ticks, by default the node's default 1: an idle leader
   * proposes at once either way; with a block in flight it waits up to this many 10 ms ticks
   * for a fuller block (0: never waits).
   */
  @Param({"1"})
  public int proposeDelayTicks;

  /** Probes and background transactions signed before the run. */
  @Param({"60000"})
  public int presigned;

  /**
   * The validators' vote durability (node config key {@code data.sync_votes}): {@code true}
   * fsyncs the consensus log before a vote leaves (survives a power loss), {@code false}
   * writes it to RocksDB's WAL without fsync (survives kill -9, not a power loss).
   */
  @Param({"true", "false"})
  public boolean syncVotes;

  LocalCluster cluster;
  CommitWatch watch;
  AdminTransactions probes;
  Feeder feeder;
  LedgerApiGrpc.LedgerApiBlockingStub leader;
  volatile Hash probe;
  volatile long probeHeight;
  long firstHeight;
  private PrePrepareToQuorum quorumProbe;

  /** Starts the cluster and, when saturated, the background feeder. */
  @Setup(Level.Trial)
  public void setup() {
    cluster = LocalCluster.start(ChainParameters.getDefaultInstance(), CommitRate.ADMINS,
        Map.of("consensus.propose_delay_ticks", Integer.toString(proposeDelayTicks),
            "data.sync_votes", Boolean.toString(syncVotes)));
    quorumProbe = new PrePrepareToQuorum(LocalCluster.QUORUM);
    for (int i = 0; i < LocalCluster.VALIDATORS; i++) {
      cluster.validator(i).probe(quorumProbe);
    }
    List<LedgerStore> stores = new ArrayList<>();
    for (int i = 0; i < LocalCluster.VALIDATORS; i++) {
      stores.add(cluster.validator(i).store());
    }
    watch = new CommitWatch(stores, CommitWatch.POLL_NANOS, (h, block, seen) -> {
      Hash p = probe;
      if (p == null) {
        return;
      }
      for (Envelope e : block.getBlock().getTransactionsList()) {
        if (Hash.sha256(e.getBody()).equals(p)) {
          probeHeight = h;
          return;
        }
      }
    });
    int leaderIndex = LedgerApiGrpc.newBlockingStub(cluster.channel(0)).getStatus(GetStatusRequest.getDefaultInstance())
        .getLeader();
    leader = LedgerApiGrpc.newBlockingStub(cluster.channel(leaderIndex));
    List<org.fedledger.ledger.crypto.KeyPair> admins = cluster.admins();
    probes = new AdminTransactions(AdminTransactions.Kind.UPDATE_SELF, admins.subList(0, 1), 1, 0,
        Math.min(presigned, 20_000));
    if (load == Load.SATURATED) {
      List<io.grpc.ManagedChannel> channels = new ArrayList<>();
      for (int i = 0; i < LocalCluster.VALIDATORS; i++) {
        channels.add(cluster.channel(i));
      }
      feeder = new Feeder(new AdminTransactions(AdminTransactions.Kind.UPDATE_SELF, admins.subList(1, admins.size()),
          1, 0, presigned), channels, watch,
          8_000, 512, CommitRate.SUBMIT_BATCH);
    }
    firstHeight = watch.height() + 1;
  }

  /** Records PRE-PREPARE to 2f+1 stored only during measurement iterations. */
  @Setup(Level.Iteration)
  public void iteration(IterationParams params) {
    quorumProbe.recording(params.getType() == IterationType.MEASUREMENT);
  }

  /** Submits one probe to the leader and waits until its block is stored at 2f+1 validators. */
  @Benchmark
  public long commit() {
    Envelope env = probes.next();
    Hash id = Hash.sha256(env.getBody());
    probeHeight = -1;
    probe = id;
    leader.withDeadlineAfter(10, TimeUnit.SECONDS)
        .submitTransaction(SubmitTransactionRequest.newBuilder().setEnvelope(env).build());
    watch.awaitCondition(() -> {
      long h = probeHeight;
      return h > 0 && watch.countAtLeast(h) >= LocalCluster.QUORUM;
    }, 60_000, "probe " + id.shortHex());
    if (feeder != null) {
      feeder.check();
    }
    return probeHeight;
  }

  /** Checks the receipts of the blocks committed during the trial and stops everything. */
  @TearDown(Level.Trial)
  public void tearDown() {
    if (quorumProbe != null) {
      LOG.warn("{} (syncVotes={}): {}", load, syncVotes, quorumProbe.summary());
    }
    try {
      if (feeder != null) {
        feeder.close();
        feeder.check();
      }
      if (cluster != null && watch != null) {
        cluster.requireSuccess(firstHeight, watch.height());
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
