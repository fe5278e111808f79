/**
 * The federated client over the validators' gRPC API: {@link
 * org.fedledger.testnet.client.NodeClient} (calls with deadlines, failover between
 * validators), {@link org.fedledger.testnet.client.Signer} (signed envelopes with nonces) and
 * {@link org.fedledger.testnet.client.FederatedRounds} (fetch version k, train, submit, wait
 * for k + 1, evaluate, print). Talks to the ledger only through gRPC; never reads a node's
 * store.
 */
package org.fedledger.testnet.client;
