/**
 * The physical floors: one Ed25519 signature, one verification and SHA-256 over block-sized
 * payloads. Every commit-rate and throughput figure is read against these: a validator that
 * verifies every transaction once cannot beat the verification floor.
 */
package org.fedledger.benchmarks.floors;
