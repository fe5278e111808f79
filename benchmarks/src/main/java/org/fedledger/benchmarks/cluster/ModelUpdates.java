package org.fedledger.benchmarks.cluster;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedledger.contracts.fl.Weights;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.ModelSegment;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.Transaction;

/**
 * Federated rounds of one Multi-Krum task: {@code participants} hospitals each submit one
 * update of {@code parameters} float32 values per round; the round closes on quorum when the
 * last one is committed (Multi-Krum and aggregation run at the end of that block), and the
 * next round opens. Round {@code r}'s updates are handed out only once the {@code (r-1) *
 * participants} updates before them are committed, as real clients would wait for the new
 * global model. Updates are signed before the run for {@code presignedRounds} rounds.
 */
public final class ModelUpdates implements Workload {
  /** Task id of the benchmark task. */
  public static final String TASK = "bench-task";

  private final int participants;
  private final int parameters;
  private final List<KeyPair> keys = new ArrayList<>();
  private final ByteString[] weights;
  private final CommitWatch watch;
  private final long watchTxsAtStart;
  private final Presigned presigned;
  private int next;

  /**
   * Updates for the task that {@link #setup} creates; {@code watch} tells when a round is
   * committed (its transaction count must start right after setup).
   */
  public ModelUpdates(int participants, int parameters, int presignedRounds, CommitWatch watch) {
    this.participants = participants;
    this.parameters = parameters;
    this.watch = watch;
    this.watchTxsAtStart = watch.txs();
    for (int i = 0; i < participants; i++) {
      keys.add(LocalCluster.key(200_000 + i));
    }
    this.weights = new ByteString[participants];
    for (int i = 0; i < participants; i++) {
      SplittableRandom random = new SplittableRandom(i);
      float[] w = new float[parameters];
      for (int k = 0; k < parameters; k++) {
        w[k] = (float) (0.1 + random.nextGaussian() * 0.01);
      }
      weights[i] = Weights.pack(w);
    }
    this.presigned = new Presigned(presignedRounds * participants, this::sign);
  }

  /** The transactions that register the participants and create the task, signed by {@code admin}. */
  public static List<Envelope> setup(KeyPair admin, long firstNonce, int participants, int parameters) {
    List<Envelope> out = new ArrayList<>();
    long nonce = firstNonce;
    for (int i = 0; i < participants; i++) {
      KeyPair p = LocalCluster.key(200_000 + i);
      out.add(AdminTransactions.envelope(admin, Transaction.newBuilder().setChainId(LocalCluster.CHAIN_ID)
          .setSigner(admin.publicKey()).setNonce(nonce++).setRegisterParticipant(RegisterParticipant.newBuilder()
              .setName("hospital-" + i).setRole(Role.HOSPITAL).setPublicKey(p.publicKey()).setConsent(true))
          .build()));
    }
    CreateTask task = CreateTask.newBuilder().setTaskId(TASK).setDescription("cluster benchmark task")
        .addLayout(ModelSegment.newBuilder().setName("weights").setLength(parameters))
        .setInitialWeights(Weights.pack(new float[parameters])).setRule(AggregationRule.MULTI_KRUM)
        .setByzantineF(1).setSelectM(participants - 2).setMinUpdates(participants).setMaxUpdates(participants)
        .setRoundDeadlineBlocks(1_000_000).build();
    out.add(AdminTransactions.envelope(admin, Transaction.newBuilder().setChainId(LocalCluster.CHAIN_ID)
        .setSigner(admin.publicKey()).setNonce(nonce).setCreateTask(task).build()));
    return out;
  }

  /** Update {@code k}: participant {@code k mod P}'s update for round {@code k / P + 1}. */
  private Envelope sign(int k) {
    int i = k % participants;
    long round = k / participants + 1;
    KeyPair key = keys.get(i);
    Transaction tx = Transaction.newBuilder().setChainId(LocalCluster.CHAIN_ID).setSigner(key.publicKey())
        .setNonce(round).setSubmitUpdate(SubmitUpdate.newBuilder().setTaskId(TASK).setRound(round)
            .setBaseVersion(round - 1).setWeights(weights[i]).setSampleCount(100 + i))
        .build();
    return AdminTransactions.envelope(key, tx);
  }

  @Override
  public synchronized Envelope next() {
    int k = next;
    long roundStart = (long) (k / participants) * participants;
    if (watch.txs() - watchTxsAtStart < roundStart) {
      return null; // the previous round is not committed yet
    }
    next++;
    return presigned.get(k);
  }

  @Override
  public synchronized long signedDuringRun() {
    return presigned.signedDuringRun();
  }

  /** Parameters per update. */
  public int parameters() {
    return parameters;
  }
}
