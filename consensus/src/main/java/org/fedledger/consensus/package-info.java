/**
 * PBFT (Castro and Liskov, OSDI 1999 / TOCS 2002) as a deterministic state machine:
 * {@link org.fedledger.consensus.Replica#step} consumes one {@link org.fedledger.consensus.Input}
 * (peer message, client request, tick, executed notice) and returns a
 * {@link org.fedledger.consensus.Ready} of effects (records to persist, messages to send, blocks
 * to commit, evidence).
 *
 * <p>Invariants: no two different blocks ever commit at one height; blocks commit in height
 * order, hash-linked; a replica persists what it votes for before the vote leaves; every
 * collection is bounded (log between the watermarks, mempool, checkpoint votes, one
 * VIEW-CHANGE per validator); no iteration over hash-ordered collections; peer input never
 * throws out of {@code step} (it is dropped and counted in {@link org.fedledger.consensus.Drop}).
 *
 * <p>Must not import threads, clocks, randomness, io.netty, io.grpc, org.rocksdb,
 * org.fedledger.contracts or org.fedledger.node (checked by ArchitectureTest).
 */
package org.fedledger.consensus;
