package org.fedledger.ledger.exec;

import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Transaction;

/**
 * A transaction that passed stateless validation (size, structure, chain id, signature): the
 * envelope as received, its id ({@code SHA-256(envelope.body)}) and the parsed body.
 */
public record ParsedTx(Hash id, Envelope envelope, Transaction tx) {}
