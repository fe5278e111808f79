package org.fedledger.ledger.exec;

import com.google.protobuf.ByteString;
import org.fedledger.ledger.crypto.Hash;

/**
 * What a contract knows about the transaction it executes: its id, its authenticated signer,
 * and the block it is in (height and the proposer's timestamp, never the wall clock).
 */
public record TxContext(
    Hash txId, ByteString signer, long height, long timestampMillis, int index, EventSink events) {}
