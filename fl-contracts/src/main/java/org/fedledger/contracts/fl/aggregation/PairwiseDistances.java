package org.fedledger.contracts.fl.aggregation;

/**
 * Squared L2 distances between every pair of update vectors, each pair computed once.
 *
 * <p>The value is part of the consensus definition, so its arithmetic is fixed here: for a
 * pair (a, b) the distance is the sequential chain {@code acc = fma(dk, dk, acc)} for k = 0,
 * 1, ..., d-1 starting from +0.0, where {@code dk = (double) a[k] - (double) b[k]} and fma
 * is {@link Math#fma(double, double, double)} (one rounding, exactly specified by Java, so
 * the same bits on every JVM). Because {@code dk} for (b, a) is exactly {@code -dk}, the
 * distance of (a, b) equals that of (b, a) bit for bit, which makes every derived score
 * independent of the input order; a naive loop with the same expression is an exact
 * reference.
 *
 * <p>Speed without reordering: the coordinates are cut into tiles of {@link #TILE} values
 * (widened to double once per vector); within a tile, 4 x 4 blocks of pairs advance sixteen
 * independent chains together, each from registers, so the CPU overlaps them. A chain's state
 * is carried from tile to tile unchanged, so tiling and blocking change the speed and never
 * the bits. (On a CPU without FMA instructions Math.fma is exact but slow.)
 */
public final class PairwiseDistances {

  /** Coordinates per tile: a cache-size choice only; it does not affect any result. */
  static final int TILE = 512;
  private static final int BLOCK = 4;

  private final int count;
  private final int stride;
  private final double[] matrix;

  private PairwiseDistances(int count, int stride, double[] matrix) {
    this.count = count;
    this.stride = stride;
    this.matrix = matrix;
  }

  /**
   * Computes the distances of all n(n-1)/2 pairs of {@code vectors}, which must all have the
   * same length. Values must be finite floats; the sums cannot overflow a double for any
   * finite float input of up to 2^24 coordinates ((2 * 3.4e38)^2 * 2^24 is about 8e84).
   */
  public static PairwiseDistances of(float[][] vectors) {
    int n = vectors.length;
    int d = n == 0 ? 0 : vectors[0].length;
    for (float[] v : vectors) {
      if (v.length != d) {
        throw new IllegalArgumentException("vectors of different lengths: " + v.length + " vs " + d);
      }
    }
    int rows = (n + BLOCK - 1) / BLOCK * BLOCK; // padded with all-zero rows, never read back
    double[] acc = new double[rows * rows];
    double[][] tiles = new double[rows][TILE];
    for (int start = 0; start < d; start += TILE) {
      int len = Math.min(TILE, d - start);
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < len; k++) {
          tiles[i][k] = vectors[i][start + k];
        }
      }
      for (int i0 = 0; i0 < rows; i0 += BLOCK) {
        for (int j0 = i0; j0 < rows; j0 += BLOCK) {
          block(tiles, i0, j0, len, acc, rows);
        }
      }
    }
    return new PairwiseDistances(n, rows, acc);
  }

  /** Advances the 16 chains of rows i0..i0+3 against rows j0..j0+3 over one tile. */
  private static void block(double[][] t, int i0, int j0, int len, double[] acc, int n) {
    double[] a0 = t[i0];
    double[] a1 = t[i0 + 1];
    double[] a2 = t[i0 + 2];
    double[] a3 = t[i0 + 3];
    double[] b0 = t[j0];
    double[] b1 = t[j0 + 1];
    double[] b2 = t[j0 + 2];
    double[] b3 = t[j0 + 3];
    int r0 = i0 * n + j0;
    int r1 = r0 + n;
    int r2 = r1 + n;
    int r3 = r2 + n;
    double s00 = acc[r0], s01 = acc[r0 + 1], s02 = acc[r0 + 2], s03 = acc[r0 + 3];
    double s10 = acc[r1], s11 = acc[r1 + 1], s12 = acc[r1 + 2], s13 = acc[r1 + 3];
    double s20 = acc[r2], s21 = acc[r2 + 1], s22 = acc[r2 + 2], s23 = acc[r2 + 3];
    double s30 = acc[r3], s31 = acc[r3 + 1], s32 = acc[r3 + 2], s33 = acc[r3 + 3];
    for (int k = 0; k < len; k++) {
      double x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
      double y0 = b0[k], y1 = b1[k], y2 = b2[k], y3 = b3[k];
      double e;
      e = x0 - y0; s00 = Math.fma(e, e, s00);
      e = x0 - y1; s01 = Math.fma(e, e, s01);
      e = x0 - y2; s02 = Math.fma(e, e, s02);
      e = x0 - y3; s03 = Math.fma(e, e, s03);
      e = x1 - y0; s10 = Math.fma(e, e, s10);
      e = x1 - y1; s11 = Math.fma(e, e, s11);
      e = x1 - y2; s12 = Math.fma(e, e, s12);
      e = x1 - y3; s13 = Math.fma(e, e, s13);
      e = x2 - y0; s20 = Math.fma(e, e, s20);
      e = x2 - y1; s21 = Math.fma(e, e, s21);
      e = x2 - y2; s22 = Math.fma(e, e, s22);
      e = x2 - y3; s23 = Math.fma(e, e, s23);
      e = x3 - y0; s30 = Math.fma(e, e, s30);
      e = x3 - y1; s31 = Math.fma(e, e, s31);
      e = x3 - y2; s32 = Math.fma(e, e, s32);
      e = x3 - y3; s33 = Math.fma(e, e, s33);
    }
    acc[r0] = s00; acc[r0 + 1] = s01; acc[r0 + 2] = s02; acc[r0 + 3] = s03;
    acc[r1] = s10; acc[r1 + 1] = s11; acc[r1 + 2] = s12; acc[r1 + 3] = s13;
    acc[r2] = s20; acc[r2 + 1] = s21; acc[r2 + 2] = s22; acc[r2 + 3] = s23;
    acc[r3] = s30; acc[r3 + 1] = s31; acc[r3 + 2] = s32; acc[r3 + 3] = s33;
  }

  /** The squared distance of one pair of vectors: the same chain, written plainly. */
  public static double squaredDistance(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("vectors of different lengths");
    }
    double acc = 0.0;
    for (int k = 0; k < a.length; k++) {
      double e = (double) a[k] - (double) b[k];
      acc = Math.fma(e, e, acc);
    }
    return acc;
  }

  /**
   * The distances among {@code members} only (indices into this set, ascending), renumbered
   * 0..k-1 in that order; the values are copied, so the bits are the same.
   */
  public PairwiseDistances subset(int[] members) {
    int k = members.length;
    double[] m = new double[k * k];
    for (int a = 0; a < k; a++) {
      for (int b = a + 1; b < k; b++) {
        m[a * k + b] = get(members[a], members[b]);
      }
    }
    return new PairwiseDistances(k, k, m);
  }

  /** Number of vectors. */
  public int count() {
    return count;
  }

  /** Squared distance between vectors i and j (0 when i == j). */
  public double get(int i, int j) {
    if (i == j) {
      return 0.0;
    }
    return matrix[Math.min(i, j) * stride + Math.max(i, j)];
  }
}
