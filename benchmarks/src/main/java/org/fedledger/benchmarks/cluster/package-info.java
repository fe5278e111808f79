/**
 * Cluster benchmarks: four real validators ({@code node}'s {@code Validator}) in one JVM, with
 * Netty peer links and gRPC on loopback and RocksDB in temporary directories. Clients submit
 * pre-signed transactions through the public gRPC API, so the figures are what a client sees
 * of the whole node (intake, forwarding, PBFT, execution, storage) and not of the client's
 * own signing. {@link org.fedledger.benchmarks.cluster.LocalCluster} starts the validators,
 * {@link org.fedledger.benchmarks.cluster.CommitWatch} observes their commits, {@link
 * org.fedledger.benchmarks.cluster.Feeder} keeps their mempools full.
 */
package org.fedledger.benchmarks.cluster;
