package org.fedledger.contracts.fl.aggregation;

/**
 * Order statistics of one coordinate across updates, on int keys. {@link #key} maps a float
 * to an int whose signed order is exactly {@link Float#compare}'s order for every non-NaN
 * value (so -0.0 sorts before +0.0, as in {@link java.util.Arrays#sort(float[])}), and
 * {@link #value} maps it back bit for bit. Two floats are equal under Float.compare exactly
 * when their bits are equal, so the k-th smallest key is one well-defined float whatever
 * algorithm finds it: selection here gives the same bits as sorting the column.
 */
final class ColumnOrder {
  /** Below this length a range is finished by insertion sort. */
  private static final int INSERTION_MAX = 16;

  private ColumnOrder() {}

  /** The order-preserving int key of a non-NaN float. */
  static int key(float f) {
    int bits = Float.floatToRawIntBits(f);
    return bits ^ ((bits >> 31) & 0x7fffffff);
  }

  /** The float whose key is {@code key} (the inverse of {@link #key}). */
  static float value(int key) {
    return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7fffffff));
  }

  /**
   * Rearranges {@code a} so that a[k] is its k-th smallest element (0-based), every element
   * before k is at most a[k] and every element after k at least a[k]; returns a[k].
   * Quickselect with a median-of-three pivot and no randomness.
   */
  static int select(int[] a, int k) {
    int lo = 0;
    int hi = a.length - 1;
    while (hi - lo >= INSERTION_MAX) {
      int mid = (lo + hi) >>> 1;
      orderThree(a, lo, mid, hi);
      int pivot = a[mid];
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] < pivot) {
          i++;
        }
        while (a[j] > pivot) {
          j--;
        }
        if (i <= j) {
          swap(a, i, j);
          i++;
          j--;
        }
      }
      // Now a[lo..j] <= pivot, a[j+1..i-1] == pivot, a[i..hi] >= pivot.
      if (k <= j) {
        hi = j;
      } else if (k >= i) {
        lo = i;
      } else {
        return a[k];
      }
    }
    insertionSort(a, lo, hi);
    return a[k];
  }

  /** The largest of a[0..end-1]; end >= 1. */
  static int maxOfPrefix(int[] a, int end) {
    int max = a[0];
    for (int i = 1; i < end; i++) {
      max = Math.max(max, a[i]);
    }
    return max;
  }

  private static void orderThree(int[] a, int lo, int mid, int hi) {
    if (a[mid] < a[lo]) {
      swap(a, mid, lo);
    }
    if (a[hi] < a[lo]) {
      swap(a, hi, lo);
    }
    if (a[hi] < a[mid]) {
      swap(a, hi, mid);
    }
  }

  private static void insertionSort(int[] a, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
      int x = a[i];
      int j = i - 1;
      while (j >= lo && a[j] > x) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = x;
    }
  }

  private static void swap(int[] a, int i, int j) {
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
