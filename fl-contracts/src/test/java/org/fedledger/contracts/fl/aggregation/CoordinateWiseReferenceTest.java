package org.fedledger.contracts.fl.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Median and trimmed mean against the plain definition (gather the column, Arrays.sort it,
 * read the middle or sum the untrimmed values smallest first), bit for bit, on columns full
 * of ties, signed zeros, denormals and huge values, for odd and even counts and lengths
 * spanning several tiles; repeated so that the JIT-compiled code is checked too.
 */
class CoordinateWiseReferenceTest {

  @Test
  void medianAndTrimmedMeanEqualTheSortedColumnDefinition() {
    SplittableRandom rnd = new SplittableRandom(7_2024L);
    for (int round = 0; round < 300; round++) {
      int n = round % 3 == 0 ? rnd.nextInt(1, 130) : rnd.nextInt(1, 12);
      int d = rnd.nextInt(1, 300);
      float[][] x = vectors(rnd, n + 2, d);
      int[] members = new int[n];
      for (int i = 0; i < n; i++) {
        members[i] = (i * 7 + round) % (n + 2); // a subset, not in index order
      }
      members = Arrays.stream(members).distinct().toArray();
      int trim = rnd.nextInt(0, (members.length + 1) / 2);
      assertBits(Aggregators.median(x, members), referenceMedian(x, members), "median n=" + members.length);
      assertBits(Aggregators.trimmedMean(x, members, trim), referenceTrimmedMean(x, members, trim),
          "trimmed mean n=" + members.length + " trim=" + trim);
    }
  }

  private static void assertBits(float[] actual, float[] expected, String what) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int k = 0; k < expected.length; k++) {
      assertThat(Float.floatToRawIntBits(actual[k])).as("%s coordinate %d: %s vs %s", what, k, actual[k], expected[k])
          .isEqualTo(Float.floatToRawIntBits(expected[k]));
    }
  }

  static float[] referenceMedian(float[][] x, int[] members) {
    int n = members.length;
    float[] out = new float[x[members[0]].length];
    for (int k = 0; k < out.length; k++) {
      float[] c = column(x, members, k);
      out[k] = (n & 1) == 1 ? c[n / 2] : (float) (((double) c[n / 2 - 1] + (double) c[n / 2]) / 2.0);
    }
    return out;
  }

  static float[] referenceTrimmedMean(float[][] x, int[] members, int trim) {
    int n = members.length;
    float[] out = new float[x[members[0]].length];
    for (int k = 0; k < out.length; k++) {
      float[] c = column(x, members, k);
      double sum = 0.0;
      for (int r = trim; r < n - trim; r++) {
        sum += c[r];
      }
      out[k] = (float) (sum / (n - 2 * trim));
    }
    return out;
  }

  private static float[] column(float[][] x, int[] members, int k) {
    float[] c = new float[members.length];
    for (int i = 0; i < members.length; i++) {
      c[i] = x[members[i]][k];
    }
    Arrays.sort(c);
    return c;
  }

  private static float[][] vectors(SplittableRandom rnd, int n, int d) {
    float[][] x = new float[n][d];
    for (float[] v : x) {
      for (int k = 0; k < d; k++) {
        switch (rnd.nextInt(6)) {
          case 0:
            v[k] = rnd.nextBoolean() ? 0.0f : -0.0f;
            break;
          case 1:
            v[k] = rnd.nextInt(-3, 4);
            break;
          case 2:
            v[k] = Float.MIN_VALUE * rnd.nextInt(-5, 6);
            break;
          case 3:
            v[k] = (rnd.nextBoolean() ? 1 : -1) * Float.MAX_VALUE / rnd.nextInt(1, 4);
            break;
          default:
            v[k] = (float) rnd.nextGaussian();
        }
      }
    }
    return x;
  }
}
