package org.fedledger.ledger.exec;

import org.fedledger.ledger.crypto.Hash;

/** The block being executed: chain, height, the proposer's timestamp, and its hash (a seed source). */
public record BlockContext(String chainId, long height, long timestampMillis, Hash blockHash) {}
