/**
 * The node's configuration: one immutable {@link org.fedledger.node.config.NodeConfig} record
 * tree, read once from the node's config file ({@link org.fedledger.node.config.NodeConfigFile},
 * Java properties syntax, every key documented with its default) plus command-line overrides,
 * and validated by one {@code validate()} whose messages name the file and the key.
 *
 * <p>Invariant: nothing else in the node reads the file or the environment; the consensus core
 * receives a {@code ReplicaConfig} built from this, never the file. Imports nothing from other
 * node packages.
 */
package org.fedledger.node.config;
