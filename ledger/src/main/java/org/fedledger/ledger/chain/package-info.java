/**
 * The chain's rules: the validated genesis ({@link org.fedledger.ledger.chain.Chain},
 * {@link org.fedledger.ledger.chain.GenesisFile}), block building and hashing
 * ({@link org.fedledger.ledger.chain.Blocks}), and stateless validation of transactions
 * ({@link org.fedledger.ledger.chain.TxValidator}) and blocks
 * ({@link org.fedledger.ledger.chain.BlockValidator}), and what a client checks to trust that a
 * served block is final ({@link org.fedledger.ledger.chain.Finality}: a commit certificate, or a
 * finality proof of headers up to a certified block).
 *
 * <p>Invariants: validators never throw on bad input; every refusal carries a specific
 * {@link org.fedledger.ledger.chain.TxError}, {@link org.fedledger.ledger.chain.BlockError} or
 * {@link org.fedledger.ledger.chain.FinalityError}
 * and a message for people. Hashes and signatures are over the bytes as received. Must not
 * import RocksDB, the network, consensus or contracts.
 */
package org.fedledger.ledger.chain;
