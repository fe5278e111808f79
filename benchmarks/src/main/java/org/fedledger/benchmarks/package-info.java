/**
 * JMH benchmarks of FedLedger, one package per question they answer:
 * {@code contracts} (what one node spends on the federated-learning contract and on storing a
 * block: Multi-Krum and aggregation, admission of one update, one RocksDB block commit) and
 * {@code floors} (Ed25519 and SHA-256, the physical limits the other figures are read
 * against). Benchmarks that need a running four-validator cluster (commit rate, consensus
 * latency) belong in a {@code cluster} package next to these.
 *
 * <p>Every benchmark drives the production code through its public API with seeded inputs,
 * so two runs measure the same work. Nothing here is used by the node.
 */
package org.fedledger.benchmarks;
