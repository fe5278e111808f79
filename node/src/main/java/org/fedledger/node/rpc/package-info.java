/**
 * The gRPC client API of a validator: {@link org.fedledger.node.rpc.LedgerService} (submit one
 * or a batch, with the checks of both in {@link org.fedledger.node.rpc.Submissions}, receipts, wait for commit, blocks with certificates, block and event streams, status),
 * {@link org.fedledger.node.rpc.FlService} (tasks, rounds, models, reputation, balances) and
 * {@link org.fedledger.node.rpc.RpcServer} with health checking and reflection. A block served
 * without a certificate of its own gets its finality proof from
 * {@link org.fedledger.node.rpc.FinalityProver}, built from the store per request, never stored.
 *
 * <p>Invariants: gRPC threads never touch the replica; they validate statelessly, then hand a
 * transaction to a {@link org.fedledger.node.rpc.TxIntake} (which only enqueues; a batch in one
 * hand-off). Each transaction is verified once here, never again on this validator. Handlers
 * run on the server's own fixed pool (as many threads as cores), never on Netty's event loops. Every refusal
 * is a gRPC status whose description starts with the reason code. Streams follow client flow
 * control. Must not import node.exec (the event loop depends on this package, not the reverse).
 */
package org.fedledger.node.rpc;
