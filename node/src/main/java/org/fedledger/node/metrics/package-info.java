/**
 * Prometheus metrics of a validator ({@link org.fedledger.node.metrics.NodeMetrics}): height,
 * view, leader, commit latency, blocks and transactions committed, view changes and messages
 * dropped by reason, peers connected, mempool size, state-transfer progress; served over HTTP.
 *
 * <p>Invariant: metrics only observe; nothing reads them back to make a decision. Imports no
 * other node package.
 */
package org.fedledger.node.metrics;
