/**
 * Pure, deterministic aggregation math over float[] vectors: pairwise squared distances,
 * Krum / Multi-Krum selection, weighted mean, coordinate-wise median and trimmed mean.
 * Inputs are finite float32 vectors; every sum runs in double in a documented fixed order,
 * with no parallelism and no hash-based collections, so results are bit-identical on every
 * JVM. This package has no ledger or protobuf dependency and must not import anything outside
 * java.*, so it can be tested and benchmarked alone.
 */
package org.fedledger.contracts.fl.aggregation;
