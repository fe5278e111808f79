package org.fedledger.benchmarks.contracts;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedledger.contracts.fl.FlContract;
import org.fedledger.contracts.fl.Weights;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.ModelSegment;
import org.fedledger.proto.Participant;
import org.fedledger.proto.ParticipantStatus;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.Transaction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Admission of one signed model update of d parameters into an open Multi-Krum round, through
 * the real {@link Executor} with the registry and {@link FlContract} over a {@link
 * MemoryState}: nonce window, registration and permission checks, round and base checks,
 * unpacking, finiteness and norm checks, storing the weights, and the state-lattice update
 * of the block's writes. Nothing is applied, so every invocation admits the same update into
 * the same state.
 *
 * <p>{@link #execute} starts from a transaction already verified (as a block's transactions
 * are); {@link #verifyAndExecute} adds the stateless check a validator does once per
 * transaction: parse, chain id, signer and the Ed25519 signature.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dlogback.configurationFile=fedledger-benchmarks-logback.xml"})
@State(Scope.Benchmark)
public class UpdateValidation {
  static final String CHAIN_ID = "bench-chain";
  static final String TASK = "bench-task";

  /** Parameters of the model and of the update. */
  @Param({"1000", "100000"})
  public int parameters;

  Executor executor;
  MemoryState state;
  LtHash lattice;
  TxValidator validator;
  ByteString rawEnvelope;
  ParsedTx verified;
  BlockContext block;

  /**
   * Registers an admin and a hospital, creates the task in block 1, and signs the hospital's
   * update for block 2. Fails if the update would be refused: a refusal is not what we time.
   */
  @Setup
  public void setup() {
    KeyPair admin = Ed25519.fromSeed(seed(1));
    KeyPair hospital = Ed25519.fromSeed(seed(2));
    state = new MemoryState();
    Registry.write(state, participant(admin.publicKey(), Role.ADMIN));
    Registry.write(state, participant(hospital.publicKey(), Role.HOSPITAL));
    executor = new Executor(List.of(new RegistryContract(), new FlContract()), Chain.DEFAULT_NONCE_WINDOW);
    validator = new TxValidator(CHAIN_ID, Chain.DEFAULT_TX_BYTES_MAX);

    Transaction create = Transaction.newBuilder().setChainId(CHAIN_ID).setSigner(admin.publicKey()).setNonce(1)
        .setCreateTask(task(parameters)).build();
    BlockResult first = executor.execute(context(1), List.of(parsed(sign(admin, create))), state, state.lattice());
    requireSuccess(first, "CreateTask");
    apply(first);

    float[] weights = SyntheticRound.updates(1, parameters, 0, 7)[0];
    Transaction submit = Transaction.newBuilder().setChainId(CHAIN_ID).setSigner(hospital.publicKey()).setNonce(1)
        .setSubmitUpdate(SubmitUpdate.newBuilder().setTaskId(TASK).setRound(1).setBaseVersion(0)
            .setWeights(Weights.pack(weights)).setSampleCount(500))
        .build();
    Envelope envelope = sign(hospital, submit);
    rawEnvelope = envelope.toByteString();
    verified = parsed(envelope);
    lattice = state.lattice();
    block = context(2);
    requireSuccess(execute(), "SubmitUpdate");
  }

  /** Executes a block holding the verified update. */
  @Benchmark
  public BlockResult execute() {
    return executor.execute(block, List.of(verified), state, lattice);
  }

  /** Verifies the envelope as received (parse, chain id, signature), then executes it. */
  @Benchmark
  public BlockResult verifyAndExecute() {
    TxCheck check = validator.check(rawEnvelope);
    if (!(check instanceof TxCheck.Valid)) {
      throw new IllegalStateException("benchmark envelope refused: " + check);
    }
    return executor.execute(block, List.of(((TxCheck.Valid) check).tx()), state, lattice);
  }

  private ParsedTx parsed(Envelope envelope) {
    TxCheck check = validator.check(envelope);
    if (!(check instanceof TxCheck.Valid)) {
      throw new IllegalStateException("benchmark envelope refused: " + check);
    }
    return ((TxCheck.Valid) check).tx();
  }

  private void apply(BlockResult result) {
    result.writes().forEach((key, value) -> {
      if (value == null) {
        state.delete(key);
      } else {
        state.put(key, value);
      }
    });
  }

  static void requireSuccess(BlockResult result, String what) {
    result.receipts().forEach(r -> {
      if (r.getStatus() != ReceiptStatus.SUCCESS) {
        throw new IllegalStateException(what + " refused: " + r.getCode() + " " + r.getReason());
      }
    });
    result.endEvents().forEach(e -> {
      if (e.getType().equals("contract.error")) {
        throw new IllegalStateException(what + ": a contract failed at the end of the block: " + e);
      }
    });
  }

  static CreateTask task(int parameters) {
    return CreateTask.newBuilder().setTaskId(TASK).setDescription("benchmark task")
        .addLayout(ModelSegment.newBuilder().setName("weights").setLength(parameters))
        .setInitialWeights(Weights.pack(new float[parameters])).setRule(AggregationRule.MULTI_KRUM)
        .setByzantineF(1).setSelectM(8).setMinUpdates(10).setMaxUpdates(100).setRoundDeadlineBlocks(1000)
        .setNormBound(1.0e6).build();
  }

  static Participant participant(ByteString key, Role role) {
    return Participant.newBuilder().setPublicKey(key).setName(role.name().toLowerCase(java.util.Locale.ROOT))
        .setRole(role).setStatus(ParticipantStatus.ACTIVE).setConsent(true).build();
  }

  static Envelope sign(KeyPair key, Transaction tx) {
    ByteString body = tx.toByteString();
    return Envelope.newBuilder().setBody(body).setSigner(key.publicKey()).setSignature(key.sign(body)).build();
  }

  static BlockContext context(long height) {
    return new BlockContext(CHAIN_ID, height, 1_700_000_000_000L + height,
        Hash.sha256(ByteString.copyFromUtf8("block " + height)));
  }

  static byte[] seed(int id) {
    byte[] seed = new byte[Ed25519.SECRET_KEY_LENGTH];
    seed[0] = (byte) id;
    seed[31] = (byte) 0x5e;
    return seed;
  }
}
