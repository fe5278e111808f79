package org.fedledger.contracts.fl.aggregation;

import java.util.Objects;

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
 * <p>Speed without reordering: the chains of all pairs advance together, coordinate by
 * coordinate. The coordinates are cut into tiles of {@link #TILE} values, transposed and
 * widened to double once per tile ({@code tile[k][i]} is coordinate k of vector i), so that
 * for a fixed row i the chains of (i, j), j > i, are a contiguous row of accumulators and
 * one coordinate step is the same operation on consecutive array elements, which the JIT
 * compiles to SIMD instructions. Each inner pass advances two rows by two coordinates, the
 * two steps of each chain in order, so an accumulator is loaded and stored once per two
 * steps. (The pass is kept this small on purpose: HotSpot's C2 unrolls, and therefore
 * vectorises, only loops whose body is below a size limit; a four-coordinate pass measured
 * 2.5 times slower than this one in some call contexts because it stayed scalar.) Every chain still sees its coordinates in order 0, 1, ..., d-1 with the same
 * operations, so tiling, blocking and vectorisation change the speed and never the bits
 * (vector and scalar fma round identically). On a CPU without FMA instructions Math.fma is
 * exact but slow.
 */
public final class PairwiseDistances {

  /** Coordinates per tile: a cache-size choice only; it does not affect any result. */
  static final int TILE = 32;
  /** Coordinate steps per inner pass. */
  private static final int STEP = 2;

  private final int count;
  private final double[][] rows;

  private PairwiseDistances(int count, double[][] rows) {
    this.count = count;
    this.rows = rows;
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
    // Rows are processed in pairs; an odd n gets one all-zero padding vector whose chains are
    // computed and never read back. rows[i][j] holds the chain of (i, j) for i < j.
    int padded = n + (n & 1);
    double[][] acc = new double[padded][padded];
    double[][] tile = new double[TILE][padded];
    for (int start = 0; start < d; start += TILE) {
      int len = Math.min(TILE, d - start);
      transpose(vectors, start, len, tile);
      for (int i = 0; i < padded; i += 2) {
        advanceRowPair(tile, len, i, acc[i], acc[i + 1], padded);
      }
    }
    return new PairwiseDistances(n, acc);
  }

  /** tile[k][i] = (double) vectors[i][start + k] for k < len. */
  private static void transpose(float[][] vectors, int start, int len, double[][] tile) {
    for (int i = 0; i < vectors.length; i++) {
      float[] v = vectors[i];
      for (int k = 0; k < len; k++) {
        tile[k][i] = v[start + k];
      }
    }
  }

  /**
   * Advances the chains of rows i and i + 1 against every j > i over the {@code len}
   * coordinates of the tile, in coordinate order. (Row i + 1 also advances its own diagonal
   * entry, j = i + 1, which stays zero and is never read.)
   */
  private static void advanceRowPair(double[][] tile, int len, int i, double[] a, double[] b, int end) {
    int from = i + 1;
    int k = 0;
    for (; k + STEP <= len; k += STEP) {
      double[] y0 = tile[k];
      double[] y1 = tile[k + 1];
      twoSteps(y0, y1, y0[i], y1[i], y0[i + 1], y1[i + 1], a, b, from, end);
    }
    for (; k < len; k++) {
      double[] y = tile[k];
      oneStep(y, y[i], y[i + 1], a, b, from, end);
    }
  }

  /**
   * Two chain steps for rows a (coordinates x0, x1) and b (z0, z1) against columns
   * [from, end): the loop the JIT vectorises over j.
   */
  private static void twoSteps(double[] y0, double[] y1, double x0, double x1, double z0, double z1,
      double[] a, double[] b, int from, int end) {
    for (int j = from; j < end; j++) {
      double v0 = y0[j];
      double v1 = y1[j];
      double s = a[j];
      double e = x0 - v0;
      s = Math.fma(e, e, s);
      e = x1 - v1;
      s = Math.fma(e, e, s);
      a[j] = s;
      s = b[j];
      e = z0 - v0;
      s = Math.fma(e, e, s);
      e = z1 - v1;
      s = Math.fma(e, e, s);
      b[j] = s;
    }
  }

  /** One chain step for rows a (coordinate x) and b (coordinate z) against columns [from, end). */
  private static void oneStep(double[] y, double x, double z, double[] a, double[] b, int from, int end) {
    for (int j = from; j < end; j++) {
      double v = y[j];
      double e = x - v;
      a[j] = Math.fma(e, e, a[j]);
      e = z - v;
      b[j] = Math.fma(e, e, b[j]);
    }
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
    double[][] m = new double[k][k];
    for (int a = 0; a < k; a++) {
      for (int b = a + 1; b < k; b++) {
        m[a][b] = get(members[a], members[b]);
      }
    }
    return new PairwiseDistances(k, m);
  }

  /** Number of vectors. */
  public int count() {
    return count;
  }

  /** Squared distance between vectors i and j (0 when i == j); both must be below {@link #count()}. */
  public double get(int i, int j) {
    Objects.checkIndex(i, count);
    Objects.checkIndex(j, count);
    if (i == j) {
      return 0.0;
    }
    return rows[Math.min(i, j)][Math.max(i, j)];
  }
}
