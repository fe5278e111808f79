/**
 * In-process FL experiments on the real ledger code: {@link
 * org.fedledger.testnet.sim.InProcessLedger} runs the real executor, registry and FL
 * contracts over memory state with every transaction signed and checked; {@link
 * org.fedledger.testnet.sim.Experiment} drives hospitals (honest or Byzantine) through
 * rounds and records accuracy, AUC and reputation traces. Deterministic under the config's
 * seed. Must not import gRPC or Netty.
 */
package org.fedledger.testnet.sim;
