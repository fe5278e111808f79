/**
 * The validator process: {@link org.fedledger.node.exec.Validator} wires genesis, key, store,
 * replica, peer transport, gRPC and metrics; {@code EventLoop} owns the replica and runs on one
 * thread, the peer transport's Netty I/O thread ({@code fedledger-loop-N}); {@code LoopIntake}
 * admits client transactions to it (pending set, then one hand-off per batch), answering
 * UNAVAILABLE, not FULL, once the loop is stopping.
 *
 * <p>Invariants: only the event-loop thread calls {@code Replica.step}; every other thread
 * only enqueues into its bounded queue (a full queue drops and counts, never blocks a Netty or
 * gRPC thread; the loop's own thread, the Netty one, only queues a drain task). For each {@code Ready}: persist (fsynced) before any message leaves, then send,
 * then execute and commit blocks in height order, then feed {@code Executed} back. With votes
 * fsynced the fsync runs on {@code WalSyncer}'s thread ({@code fedledger-sync-N}) while the loop
 * goes on; a batch's messages and committed blocks are held and released in order once the fsync
 * covering its write completed. A failure of the store (a failed fsync too) stops the loop (the
 * node exits) rather than continuing with unknown state; nothing held for it leaves.
 */
package org.fedledger.node.exec;
