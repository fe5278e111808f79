/**
 * The durable ledger in RocksDB: {@link org.fedledger.ledger.store.LedgerStore} (blocks, indexes,
 * receipts, contract state, state roots, head, consensus log) and read-only state views.
 *
 * <p>Invariants: committing a block is one atomic WriteBatch, so after a crash at any moment
 * the store reopens at a block boundary with a consistent head, lattice and root; a store made
 * for one genesis never opens for another; every native RocksDB object is closed. The only
 * package of the ledger that imports {@code org.rocksdb}; must not import the network or
 * consensus.
 */
package org.fedledger.ledger.store;
