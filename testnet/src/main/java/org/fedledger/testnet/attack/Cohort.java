package org.fedledger.testnet.attack;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedledger.testnet.fl.LocalLearner;
import org.fedledger.testnet.fl.Partition;
import org.fedledger.testnet.fl.Sample;
import org.fedledger.testnet.fl.Standardiser;

/**
 * The hospitals of one run, the first {@code attackers} of them Byzantine: for each round it
 * computes every member's update from the global model (honest training, or the attack,
 * with the attackers pooling their honest updates) and the sample count each one claims.
 * Deterministic under the seed.
 */
public final class Cohort {
  /** One hospital: its learner on its shard, and for attackers a learner on the flipped shard. */
  private record Member(String name, boolean attacker, LocalLearner learner, LocalLearner flipped,
      SplittableRandom noise) {}

  private final List<Member> members = new ArrayList<>();
  private final Collusion collusion;

  /**
   * Hospitals on the shards of {@code partition}, standardised with {@code standardiser};
   * members 0..attackers-1 attack in {@code mode}.
   */
  public Cohort(Partition partition, Standardiser standardiser, int attackers, AttackMode mode, AttackParams params,
      long seed) {
    int n = partition.clients();
    this.collusion = new Collusion(attackers == 0 ? AttackMode.NONE : mode, params, n, attackers);
    for (int c = 0; c < n; c++) {
      boolean attacker = c < attackers;
      String name = (attacker ? "attacker-" : "hospital-") + String.format("%02d", c);
      LocalLearner.Config lc = LocalLearner.Config.standard(seed * 1000 + c);
      List<Sample> shard = partition.shard(c);
      LocalLearner learner = new LocalLearner(name, shard, standardiser, lc);
      LocalLearner flipped = attacker
          ? new LocalLearner(name + "-flipped", shard.stream().map(Sample::flipped).toList(), standardiser, lc)
          : null;
      members.add(new Member(name, attacker, learner, flipped, new SplittableRandom(seed * 31 + c)));
    }
  }

  /** Number of hospitals. */
  public int size() {
    return members.size();
  }

  /** Hospital {@code i}'s name ({@code hospital-07}, {@code attacker-02}). */
  public String name(int i) {
    return members.get(i).name();
  }

  /** Whether hospital {@code i} attacks. */
  public boolean attacker(int i) {
    return members.get(i).attacker();
  }

  /** Rows of hospital {@code i}'s shard (its honest sample count). */
  public int rows(int i) {
    return members.get(i).learner().sampleCount();
  }

  /** The sample count hospital {@code i} claims in its updates. */
  public long claim(int i) {
    Member m = members.get(i);
    return m.attacker() ? collusion.claim(m.learner().sampleCount()) : m.learner().sampleCount();
  }

  /** Every member's update for {@code round}, trained (or crafted) from {@code global}. */
  public List<float[]> updates(float[] global, long round) {
    AttackMode mode = collusion.mode();
    List<float[]> own = new ArrayList<>();
    List<float[]> pooled = new ArrayList<>();
    for (Member m : members) {
      boolean flippedData = m.attacker() && (mode == AttackMode.LABEL_FLIP || mode == AttackMode.MODEL_REPLACEMENT);
      float[] u = m.attacker() && mode == AttackMode.GAUSSIAN_NOISE ? global
          : (flippedData ? m.flipped() : m.learner()).train(global, round);
      own.add(u);
      if (m.attacker() && !flippedData) {
        pooled.add(u);
      }
    }
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      out.add(m.attacker() ? collusion.craft(global, own.get(i), pooled, m.noise()) : own.get(i));
    }
    return out;
  }
}
