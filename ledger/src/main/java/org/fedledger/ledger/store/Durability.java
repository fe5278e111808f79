package org.fedledger.ledger.store;

/**
 * How far a write has travelled when the store's write method returns.
 *
 * <p>Either way a commit (one block, or the consecutive blocks of one
 * {@link LedgerStore#commitBlocks} call) is one atomic RocksDB WriteBatch, and recovery replays
 * the write-ahead log in point-in-time mode, so after any crash the store reopens at the end of
 * such a commit: never part of a block or of a batch, never a gap.
 */
public enum Durability {
  /**
   * The write-ahead log is fsynced before the call returns: the write survives a process
   * crash, an operating-system crash and a power loss. Costs one fsync per call.
   */
  SYNC,
  /**
   * Group commit: the write-ahead log record is handed to the operating system (write(2))
   * before the call returns, but not fsynced. The write survives a process crash (kill -9);
   * an operating-system crash or power loss may lose the most recent writes (a suffix of
   * blocks, which a validator fetches again from its peers). {@link LedgerStore#sync()} makes
   * everything written so far durable.
   */
  GROUP
}
