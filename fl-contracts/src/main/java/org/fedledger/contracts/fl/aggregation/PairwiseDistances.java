package org.fedledger.contracts.fl.aggregation;

/**
 * Squared L2 distances between every pair of update vectors, computed once per pair.
 *
 * <p>The summation order is part of the consensus definition, so it is fixed here and
 * documented: the coordinates are cut into tiles of {@link #TILE} values; within a tile four
 * lanes {@code s0..s3} accumulate the coordinates {@code k ≡ 0,1,2,3 (mod 4)} from the tile
 * start (a tail of fewer than four goes to {@code s0}), in double precision, and the tile's
 * partial sum is {@code (s0 + s1) + (s2 + s3)}; tile partials are added to the pair's total
 * in tile order. Four independent lanes let the CPU overlap additions without reordering
 * anything at run time, and tiling keeps every vector's tile in cache while all pairs use it.
 * Because {@code (a-b)^2 == (b-a)^2} exactly, {@code d(i,j)} equals {@code d(j,i)} bit for
 * bit, which makes every derived score independent of the input order.
 */
public final class PairwiseDistances {

  /** Coordinates per tile; a constant of the protocol, do not change on a live chain. */
  public static final int TILE = 512;

  private final int count;
  private final double[] condensed;

  private PairwiseDistances(int count, double[] condensed) {
    this.count = count;
    this.condensed = condensed;
  }

  /**
   * Computes all n(n-1)/2 squared distances of {@code vectors}, which must all have the same
   * length. Values must be finite floats; the sums cannot overflow a double for any finite
   * float input of up to 2^24 coordinates.
   */
  public static PairwiseDistances of(float[][] vectors) {
    int n = vectors.length;
    int d = n == 0 ? 0 : vectors[0].length;
    for (float[] v : vectors) {
      if (v.length != d) {
        throw new IllegalArgumentException("vectors of different lengths: " + v.length + " vs " + d);
      }
    }
    double[] out = new double[n * (n - 1) / 2];
    double[][] tiles = new double[n][TILE];
    double[] squares = new double[TILE];
    for (int start = 0; start < d; start += TILE) {
      int len = Math.min(TILE, d - start);
      for (int i = 0; i < n; i++) {
        widen(vectors[i], start, len, tiles[i]);
      }
      int p = 0;
      for (int i = 0; i < n; i++) {
        double[] a = tiles[i];
        for (int j = i + 1; j < n; j++) {
          out[p] += tileSum(a, tiles[j], squares);
          p++;
        }
      }
    }
    return new PairwiseDistances(n, out);
  }

  /** Copies v[start, start+len) into tile as doubles and zero-fills the rest of the tile. */
  private static void widen(float[] v, int start, int len, double[] tile) {
    for (int k = 0; k < len; k++) {
      tile[k] = v[start + k];
    }
    for (int k = len; k < TILE; k++) {
      tile[k] = 0.0;
    }
  }

  /**
   * Sum of (a[k]-b[k])^2 over one tile as a pairwise tree: squares[k] += squares[k+h] for
   * h = TILE/2, TILE/4, ..., 1. Each step is an element-wise loop (which the JIT may run on
   * SIMD lanes without changing a single bit), and the result is squares[0].
   */
  static double tileSum(double[] a, double[] b, double[] squares) {
    int half = TILE / 2;
    for (int k = 0; k < half; k++) {
      double lo = a[k] - b[k];
      double hi = a[k + half] - b[k + half];
      squares[k] = lo * lo + hi * hi;
    }
    for (int h = TILE / 4; h >= 1; h >>= 1) {
      for (int k = 0; k < h; k++) {
        squares[k] += squares[k + h];
      }
    }
    return squares[0];
  }

  /** The squared distance of one pair of vectors, in the same summation order. */
  public static double squaredDistance(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("vectors of different lengths");
    }
    double[] ta = new double[TILE];
    double[] tb = new double[TILE];
    double[] squares = new double[TILE];
    double total = 0.0;
    for (int start = 0; start < a.length; start += TILE) {
      int len = Math.min(TILE, a.length - start);
      widen(a, start, len, ta);
      widen(b, start, len, tb);
      total += tileSum(ta, tb, squares);
    }
    return total;
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
    int lo = Math.min(i, j);
    int hi = Math.max(i, j);
    // Row lo starts after rows 0..lo-1, which hold (n-1) + (n-2) + ... + (n-lo) pairs.
    int rowStart = lo * (2 * count - lo - 1) / 2;
    return condensed[rowStart + (hi - lo - 1)];
  }
}
