/**
 * Cryptographic primitives of the ledger: SHA-256 {@link org.fedledger.ledger.crypto.Hash}es,
 * Ed25519 signatures (Bouncy Castle's rule; AWS-LC through JNI signs and confirms where it loads),
 * RFC 6962 Merkle roots, and key files.
 *
 * <p>Invariants: hashes and signatures are always computed over bytes exactly as received;
 * nothing here re-serializes a message. Verification never throws on malformed input.
 * Must not import the network, storage or consensus packages.
 */
package org.fedledger.ledger.crypto;
