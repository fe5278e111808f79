package org.fedledger.contracts.fl.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Rounds large enough that the JIT compiles and vectorises the distance loops (tens of
 * updates, many tiles, odd and even counts, lengths that are not a multiple of the tile or
 * of the inner step), run repeatedly so that later runs use the compiled code: every pair must
 * still equal the plain sequential chain bit for bit. The property tests cover small rounds;
 * this one covers the vector path they rarely reach.
 */
class PairwiseDistancesJitTest {

  @Test
  void compiledVectorPathEqualsThePlainChain() {
    SplittableRandom rnd = new SplittableRandom(20240601L);
    int[] counts = {67, 64, 33, 2, 1};
    for (int rep = 0; rep < 12; rep++) {
      for (int n : counts) {
        int d = 5 * PairwiseDistances.TILE + rnd.nextInt(1, 4 * PairwiseDistances.TILE);
        float[][] x = vectors(rnd, n, d);
        PairwiseDistances p = PairwiseDistances.of(x);
        assertThat(p.count()).isEqualTo(n);
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) {
            double plain = i == j ? 0.0 : PairwiseDistances.squaredDistance(x[i], x[j]);
            assertThat(Double.doubleToRawLongBits(p.get(i, j))).as("n=%d d=%d pair (%d, %d)", n, d, i, j)
                .isEqualTo(Double.doubleToRawLongBits(plain));
          }
        }
      }
    }
  }

  @Test
  void refusesIndicesOutsideTheRound() {
    PairwiseDistances p = PairwiseDistances.of(vectors(new SplittableRandom(1), 3, 10));
    assertThatThrownBy(() -> p.get(0, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> p.get(-1, 0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  /** Wide dynamic range, denormals, signed zeros and duplicates, so roundings really differ by order. */
  private static float[][] vectors(SplittableRandom rnd, int n, int d) {
    float[][] x = new float[n][d];
    for (int i = 0; i < n; i++) {
      if (i > 0 && rnd.nextInt(5) == 0) {
        x[i] = x[rnd.nextInt(i)].clone();
        continue;
      }
      for (int k = 0; k < d; k++) {
        switch (rnd.nextInt(5)) {
          case 0:
            x[i][k] = (float) (rnd.nextGaussian() * 1e30);
            break;
          case 1:
            x[i][k] = Float.MIN_VALUE * rnd.nextInt(-1000, 1000);
            break;
          case 2:
            x[i][k] = rnd.nextBoolean() ? 0.0f : -0.0f;
            break;
          default:
            x[i][k] = (float) rnd.nextGaussian();
        }
      }
    }
    return x;
  }
}
