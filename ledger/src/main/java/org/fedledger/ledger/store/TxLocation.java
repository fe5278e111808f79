package org.fedledger.ledger.store;

/** Where a transaction first appeared: block height and position in the block. */
public record TxLocation(long height, int index) {}
