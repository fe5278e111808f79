/**
 * Entry points of the testnet module: {@link org.fedledger.testnet.FlDemo}, the
 * federated-learning demo that {@code testnet/start.sh} runs against the four validators.
 */
package org.fedledger.testnet;
