/**
 * Deterministic execution: the {@link org.fedledger.ledger.exec.Contract} API, buffered state
 * ({@link org.fedledger.ledger.exec.WriteBuffer}), replay protection
 * ({@link org.fedledger.ledger.exec.NonceWindow}), the state lattice hash
 * ({@link org.fedledger.ledger.exec.LtHash}) and the block
 * {@link org.fedledger.ledger.exec.Executor}.
 *
 * <p>Invariants: the same block over the same state gives the same receipts, writes and state
 * root on every validator and JVM; a refused transaction changes no contract state; iteration
 * is always in unsigned lexicographic key order. Must not import the network, RocksDB,
 * consensus or any clock or random source.
 */
package org.fedledger.ledger.exec;
