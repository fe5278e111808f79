/**
 * Byzantine client behaviour for experiments and the demo: {@link
 * org.fedledger.testnet.attack.AttackMode} names the attacks, {@link
 * org.fedledger.testnet.attack.Collusion} crafts the updates (pure functions of the global
 * model, the attackers' own honest updates and a seeded noise source). Must not import the
 * ledger, gRPC or Tribuo.
 */
package org.fedledger.testnet.attack;
