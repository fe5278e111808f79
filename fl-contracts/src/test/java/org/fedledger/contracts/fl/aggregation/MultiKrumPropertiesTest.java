package org.fedledger.contracts.fl.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties of Krum / Multi-Krum: order independence, bit-identical reruns, robustness. */
class MultiKrumPropertiesTest {

  /** A round: n updates of length d with some duplicates, f, m, and distinct tie keys. */
  record Round(float[][] x, long[] keys, int f, int m) {}

  @Provide
  Arbitrary<Round> rounds() {
    return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 6),
        Arbitraries.integers().between(1, 700), Arbitraries.longs(), Arbitraries.integers().between(0, 2))
        .as((f, extra, d, seed, kind) -> round(f, 2 * f + 3 + extra, d, seed, kind));
  }

  /** kind 0: small integers (exact sums), 1: gaussians, 2: wide dynamic range and denormals. */
  static Round round(int f, int n, int d, long seed, int kind) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[][] x = new float[n][d];
    for (int i = 0; i < n; i++) {
      if (i > 0 && rnd.nextInt(4) == 0) {
        x[i] = x[rnd.nextInt(i)].clone(); // duplicates: distance 0 to another update
        continue;
      }
      for (int k = 0; k < d; k++) {
        x[i][k] = value(rnd, kind);
      }
    }
    long[] keys = rnd.longs(n).toArray();
    long[] distinct = Arrays.stream(keys).distinct().toArray();
    if (distinct.length != n) {
      for (int i = 0; i < n; i++) {
        keys[i] = i;
      }
    }
    int m = 1 + rnd.nextInt(n - f);
    return new Round(x, keys, f, m);
  }

  static float value(SplittableRandom rnd, int kind) {
    switch (kind) {
      case 0:
        return rnd.nextInt(-50, 51);
      case 1:
        return (float) rnd.nextGaussian();
      default:
        int pick = rnd.nextInt(4);
        if (pick == 0) {
          return Float.MIN_VALUE * rnd.nextInt(-1000, 1000);
        }
        if (pick == 1) {
          return rnd.nextBoolean() ? 3e38f : -3e38f;
        }
        return (float) (rnd.nextGaussian() * StrictMath.pow(10, rnd.nextInt(-30, 30)));
    }
  }

  @Property(tries = 200)
  void choiceDoesNotDependOnInputOrder(@ForAll("rounds") Round r, @ForAll long permSeed) {
    int n = r.x().length;
    int[] perm = permutation(n, permSeed);
    float[][] px = new float[n][];
    long[] pk = new long[n];
    for (int i = 0; i < n; i++) {
      px[i] = r.x()[perm[i]];
      pk[i] = r.keys()[perm[i]];
    }
    Selection a = MultiKrum.select(r.x(), r.keys(), r.f(), r.m());
    Selection b = MultiKrum.select(px, pk, r.f(), r.m());
    assertThat(keysOf(b.kept(), pk)).containsExactly(keysOf(a.kept(), r.keys()));
    for (int i = 0; i < n; i++) {
      assertThat(Double.doubleToRawLongBits(b.score(i))).isEqualTo(Double.doubleToRawLongBits(a.score(perm[i])));
    }
    float[] meanA = Aggregators.weightedMean(r.x(), a.kept(), ones(n));
    float[] meanB = Aggregators.weightedMean(px, b.kept(), ones(n));
    assertThat(bits(meanB)).containsExactly(bits(meanA));
  }

  @Property(tries = 100)
  void identicalBitsAcrossRuns(@ForAll("rounds") Round r) {
    Selection a = MultiKrum.select(r.x(), r.keys(), r.f(), r.m());
    Selection b = MultiKrum.select(copy(r.x()), r.keys().clone(), r.f(), r.m());
    assertThat(b.ranking()).containsExactly(a.ranking());
    assertThat(Arrays.stream(b.scores()).mapToLong(Double::doubleToRawLongBits).toArray())
        .containsExactly(Arrays.stream(a.scores()).mapToLong(Double::doubleToRawLongBits).toArray());
    int[] all = a.ranking();
    assertThat(bits(Aggregators.median(copy(r.x()), all))).containsExactly(bits(Aggregators.median(r.x(), all)));
  }

  @Property(tries = 200)
  void ignoresUpToFOutliers(@ForAll("rounds") Round r, @ForAll long seed) {
    int n = r.x().length;
    int f = r.f();
    SplittableRandom rnd = new SplittableRandom(seed);
    float[][] x = new float[n][];
    int d = r.x()[0].length;
    int[] outliers = permutation(n, seed);
    boolean[] isOutlier = new boolean[n];
    for (int i = 0; i < n; i++) {
      x[i] = new float[d];
      for (int k = 0; k < d; k++) {
        x[i][k] = (float) rnd.nextDouble(-1, 1);
      }
    }
    for (int o = 0; o < f; o++) {
      int i = outliers[o];
      isOutlier[i] = true;
      float shift = (float) (1e6 * (1 + rnd.nextInt(3)));
      for (int k = 0; k < d; k++) {
        x[i][k] += rnd.nextBoolean() ? shift : -shift; // colluding or not, far away
      }
    }
    Selection s = MultiKrum.select(x, r.keys(), f, Math.min(r.m(), n - f));
    for (int i : s.kept()) {
      assertThat(isOutlier[i]).as("outlier %d kept", i).isFalse();
    }
  }

  @Property(tries = 200)
  void agreesWithTheNaiveReference(@ForAll("rounds") Round r) {
    Selection fast = MultiKrum.select(r.x(), r.keys(), r.f(), r.m());
    double[] naive = NaiveKrum.scores(r.x(), r.f());
    for (int i = 0; i < naive.length; i++) {
      assertThat(Double.doubleToRawLongBits(fast.score(i))).as("score %d", i)
          .isEqualTo(Double.doubleToRawLongBits(naive[i]));
    }
    List<Integer> ref = NaiveKrum.ranking(naive, r.keys());
    assertThat(fast.kept()).containsExactly(ref.subList(0, r.m()).stream().mapToInt(Integer::intValue).toArray());
  }

  @Property(tries = 50)
  void blockedTiledDistancesEqualThePlainChain(@ForAll("rounds") Round r, @ForAll long seed) {
    // Lengths beyond one tile too, so that chains are carried across tiles.
    SplittableRandom rnd = new SplittableRandom(seed);
    int d = r.x()[0].length + rnd.nextInt(2 * PairwiseDistances.TILE);
    float[][] x = new float[r.x().length][d];
    for (float[] v : x) {
      for (int k = 0; k < d; k++) {
        v[k] = value(rnd, rnd.nextInt(3));
      }
    }
    PairwiseDistances p = PairwiseDistances.of(x);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x.length; j++) {
        double plain = i == j ? 0.0 : PairwiseDistances.squaredDistance(x[i], x[j]);
        assertThat(Double.doubleToRawLongBits(p.get(i, j))).isEqualTo(Double.doubleToRawLongBits(plain));
      }
    }
  }

  static int[] permutation(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  static long[] keysOf(int[] idx, long[] keys) {
    return Arrays.stream(idx).mapToLong(i -> keys[i]).toArray();
  }

  static double[] ones(int n) {
    double[] w = new double[n];
    Arrays.fill(w, 1.0);
    return w;
  }

  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int k = 0; k < v.length; k++) {
      b[k] = Float.floatToRawIntBits(v[k]);
    }
    return b;
  }

  static float[][] copy(float[][] x) {
    float[][] c = new float[x.length][];
    for (int i = 0; i < x.length; i++) {
      c[i] = x[i].clone();
    }
    return c;
  }
}
