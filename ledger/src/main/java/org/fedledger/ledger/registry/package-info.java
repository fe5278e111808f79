/**
 * The participant registry, the first system contract: who is on the ledger, with which role
 * (VALIDATOR, ADMIN, HOSPITAL, EDGE, DEVICE, AUDITOR) and status.
 * {@link org.fedledger.ledger.registry.Registry} reads it for every contract;
 * {@link org.fedledger.ledger.registry.RegistryContract} changes it.
 *
 * <p>Invariants: only an active ADMIN changes the registry; VALIDATOR records come from genesis
 * only; at least one ADMIN always stays active. Deterministic like every contract: no clock,
 * no randomness, no hash-ordered iteration. Must not import RocksDB, the network or consensus.
 */
package org.fedledger.ledger.registry;
