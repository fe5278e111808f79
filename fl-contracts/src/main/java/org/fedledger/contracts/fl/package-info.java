/**
 * Federated learning as a deterministic ledger contract: {@link
 * org.fedledger.contracts.fl.FlContract} admits tasks and updates and closes rounds inside
 * the block that makes them due; {@link org.fedledger.contracts.fl.FlQueries} reads the
 * results. Every validator computes the same bits: no clock, no randomness, no hash-map
 * iteration, fixed accumulation order (the math lives in the {@code aggregation} and {@code
 * reputation} subpackages). This package must not import io.netty, io.grpc or org.rocksdb.
 *
 * <p>State layout (UTF-8 keys; numbers zero-padded to 20 digits; participants as lower-case
 * hex of the public key; values are fl.proto messages):
 *
 * <pre>
 * fl/task/&lt;task&gt;                       TaskState    spec, current round and version
 * fl/round/&lt;task&gt;/&lt;round&gt;             RoundState   submissions (participant order), outcomes
 * fl/update/&lt;task&gt;/&lt;round&gt;/&lt;who&gt;      StoredUpdate full weights while the round is open
 * fl/model/&lt;task&gt;/&lt;version&gt;           GlobalModel  weights, SHA-256, contributors, height
 * fl/rep/&lt;task&gt;/&lt;who&gt;                 ReputationRecord beta reputation on the task
 * fl/balance/&lt;who&gt;                    Balance      rewards over all tasks
 * fl/open/&lt;task&gt;                       (empty)      index of tasks with an open round
 * </pre>
 *
 * <p>Invariants: a task's current round is always open and its base version is the task's
 * current version; version k+1 is produced by round k+1; stored updates exist only for open
 * rounds.
 */
package org.fedledger.contracts.fl;
