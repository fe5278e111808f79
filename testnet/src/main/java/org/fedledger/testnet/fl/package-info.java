/**
 * The client-side learner: the bundled WDBC data ({@link org.fedledger.testnet.fl.Wdbc}),
 * its stratified and non-IID split ({@link org.fedledger.testnet.fl.Partition}), global
 * standardisation from federated statistics, and {@link org.fedledger.testnet.fl.LocalLearner},
 * which wraps Tribuo's logistic regression with a warm start from the ledger's global model.
 *
 * <p>Tribuo types stay inside this package: everything else sees {@code float[]} weights in
 * the {@link org.fedledger.testnet.fl.ModelLayout} order. Deterministic under the seeds
 * given (SplittableRandom, StrictMath). Must not import the ledger or gRPC.
 */
package org.fedledger.testnet.fl;
