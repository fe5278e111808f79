package org.fedledger.node.exec;

import org.fedledger.ledger.crypto.Hash;

/**
 * What the event loop last published about its replica and head, read by gRPC and metrics
 * threads without touching the replica.
 */
record StatusView(long height, Hash headHash, Hash stateRoot, long view, int leader, boolean viewChanging,
    int replicaMempool, long syncTargetHeight) {
  boolean syncing() {
    return syncTargetHeight > height;
  }
}
