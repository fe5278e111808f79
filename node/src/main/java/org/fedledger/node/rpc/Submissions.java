package org.fedledger.node.rpc;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.NonceWindow;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.ledger.store.TxLocation;
import org.fedledger.node.metrics.NodeMetrics;
import org.fedledger.proto.Envelope;

/**
 * The checks of SubmitTransaction and SubmitTransactions, shared so that both give the same
 * answer for the same transaction: stateless validation (one Ed25519 verification), already
 * committed, nonce already used or too old, then the node's {@link TxIntake}. A batch goes to
 * the intake in one {@link TxIntake#offerAll} call. Each envelope's body is hashed once (its id
 * comes from the validator's check, or is handed to it). Runs on gRPC threads; thread-safe.
 */
final class Submissions {
  /** What became of one submitted envelope: accepted when {@code status} is OK, else refused with it. */
  record Outcome(ByteString txId, Status status) {
    boolean accepted() {
      return status.isOk();
    }
  }

  /** A transaction that passed every check before the intake, or the refusal that stopped it. */
  private sealed interface Checked permits Passed, Refused {}

  private record Passed(ParsedTx tx) implements Checked {}

  private record Refused(Outcome outcome) implements Checked {}

  private final Chain chain;
  private final LedgerStore store;
  private final TxValidator validator;
  private final TxIntake intake;
  private final NodeMetrics metrics;

  Submissions(Chain chain, LedgerStore store, TxIntake intake, NodeMetrics metrics) {
    this.chain = chain;
    this.store = store;
    this.validator = new TxValidator(chain);
    this.intake = intake;
    this.metrics = metrics;
  }

  /** Checks {@code env} and offers it to the intake alone. */
  Outcome submit(Envelope env) {
    Checked c = check(env, null); // the validator's check computes the id
    if (c instanceof Refused r) {
      return r.outcome();
    }
    ParsedTx tx = ((Passed) c).tx();
    return admitted(tx, intake.offer(tx));
  }

  /**
   * Checks each of {@code envs} (the caller keeps the count within {@link LedgerService#SUBMIT_BATCH_MAX}) and offers those
   * that pass to the intake in one call; one outcome per envelope, in order. An envelope whose
   * body repeats an earlier one of the batch that passed is refused ALREADY_EXISTS without being
   * verified again.
   */
  List<Outcome> submitAll(List<Envelope> envs) {
    Outcome[] out = new Outcome[envs.size()];
    Map<Hash, Integer> passedAt = new HashMap<>(); // looked up only, never iterated
    List<ParsedTx> passed = new ArrayList<>(envs.size());
    int[] index = new int[envs.size()];
    for (int i = 0; i < envs.size(); i++) {
      Envelope env = envs.get(i);
      Hash id = Hash.sha256(env.getBody());
      Integer earlier = passedAt.get(id);
      if (earlier != null) {
        out[i] = refused(id.bytes(), "DUPLICATE", Status.ALREADY_EXISTS.withDescription("transaction " + id.hex()
            + " is also at index " + earlier + " of this batch"));
        continue;
      }
      Checked c = check(env, id);
      if (c instanceof Refused r) {
        out[i] = r.outcome();
        continue;
      }
      ParsedTx tx = ((Passed) c).tx();
      passedAt.put(tx.id(), i);
      index[passed.size()] = i;
      passed.add(tx);
    }
    if (!passed.isEmpty()) {
      List<TxIntake.Admission> admissions = intake.offerAll(passed);
      if (admissions.size() != passed.size()) {
        throw new IllegalStateException("the intake answered " + admissions.size() + " admissions for "
            + passed.size() + " transactions");
      }
      for (int k = 0; k < passed.size(); k++) {
        out[index[k]] = admitted(passed.get(k), admissions.get(k));
      }
    }
    return List.of(out);
  }

  /**
   * Stateless validation, then the committed-transaction and nonce checks against the store.
   * {@code id} is the envelope's id when the caller already computed it, else null: then the
   * validator computes it for a valid envelope, and it is computed here only for a refusal's
   * answer (the validator refuses before hashing), so each body is hashed once either way.
   */
  private Checked check(Envelope env, Hash id) {
    TxCheck check = id == null ? validator.check(env) : validator.check(env, id);
    if (check instanceof TxCheck.Invalid invalid) {
      Hash refusedId = id != null ? id : Hash.sha256(env.getBody());
      return new Refused(refused(refusedId.bytes(), invalid.error().name(),
          Status.INVALID_ARGUMENT.withDescription(invalid.error() + ": " + invalid.message())));
    }
    ParsedTx tx = ((TxCheck.Valid) check).tx();
    Optional<TxLocation> at = store.txLocation(tx.id());
    if (at.isPresent()) {
      return new Refused(refused(tx.id().bytes(), "DUPLICATE", Status.ALREADY_EXISTS.withDescription("transaction "
          + tx.id().hex() + " is already committed at height " + at.get().height())));
    }
    // The executor is authoritative; refusing a nonce the committed state already consumed
    // spares the client a block slot and gives it the reason now.
    return switch (NonceWindow.load(store.state(), tx.tx().getSigner(), chain.nonceWindow()).check(tx.tx().getNonce())) {
      case REPLAYED -> new Refused(refused(tx.id().bytes(), Executor.NONCE_REPLAYED, Status.INVALID_ARGUMENT
          .withDescription(Executor.NONCE_REPLAYED + ": nonce " + Long.toUnsignedString(tx.tx().getNonce())
              + " of signer " + Keys.shortHex(tx.tx().getSigner()) + " was already used")));
      case TOO_OLD -> new Refused(refused(tx.id().bytes(), Executor.NONCE_TOO_OLD, Status.INVALID_ARGUMENT
          .withDescription(Executor.NONCE_TOO_OLD + ": nonce " + Long.toUnsignedString(tx.tx().getNonce())
              + " is below the replay window of " + chain.nonceWindow() + " of signer "
              + Keys.shortHex(tx.tx().getSigner()))));
      case ACCEPTED -> new Passed(tx);
    };
  }

  /** The outcome of offering {@code tx} to the intake. */
  private Outcome admitted(ParsedTx tx, TxIntake.Admission admission) {
    ByteString id = tx.id().bytes();
    return switch (admission) {
      case ACCEPTED -> new Outcome(id, Status.OK);
      case DUPLICATE -> refused(id, "DUPLICATE", Status.ALREADY_EXISTS.withDescription("transaction " + tx.id().hex()
          + " is already pending"));
      case FULL -> refused(id, "MEMPOOL_FULL", Status.RESOURCE_EXHAUSTED.withDescription("the mempool is full; retry later"));
      case UNAVAILABLE -> refused(id, "UNAVAILABLE", Status.UNAVAILABLE.withDescription(
          "the node is not accepting transactions (starting or shutting down)"));
    };
  }

  /** Counts a refusal under {@code reason} (metric label) and returns it. */
  Outcome refused(ByteString txId, String reason, Status status) {
    metrics.txsRefused.labelValues(reason).inc();
    return new Outcome(txId, status);
  }
}
