/**
 * The node's side of the ledger store: opening the RocksDB {@code LedgerStore} for the
 * configured genesis, committing the genesis block into an empty store, and executing and
 * committing blocks the replica decided ({@link org.fedledger.node.store.BlockCommitter}).
 *
 * <p>Invariant: a block is committed as one write batch (block, receipts, state, head), so a
 * crash leaves the store at a block boundary. Must not import Netty or gRPC.
 */
package org.fedledger.node.store;
