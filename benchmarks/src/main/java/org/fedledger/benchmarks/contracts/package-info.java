/**
 * The cost of the contracts on one core: Multi-Krum plus weighted aggregation over n updates
 * of d parameters (the arithmetic of a round close), admission of one model update through
 * the real {@code Executor} and {@code FlContract}, and the RocksDB commit of one block.
 * Inputs are seeded; state lives in memory or in a temporary directory that is removed after
 * the trial.
 */
package org.fedledger.benchmarks.contracts;
