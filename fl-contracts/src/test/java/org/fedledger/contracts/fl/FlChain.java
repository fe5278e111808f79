package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.CloseRound;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Event;
import org.fedledger.proto.ModelSegment;
import org.fedledger.proto.Participant;
import org.fedledger.proto.ParticipantStatus;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReputationParams;
import org.fedledger.proto.Role;
import org.fedledger.proto.ShortfallPolicy;
import org.fedledger.proto.SubmitUpdate;
import org.fedledger.proto.Transaction;

/**
 * A one-contract ledger for tests: blocks of transactions run through the real {@link
 * Executor} (nonces, write buffers, end-of-block hook) over a {@link MemoryState}.
 * Signatures are not involved: the executor trusts its callers to have verified them.
 */
final class FlChain {
  static final String CHAIN = "test-chain";

  final MemoryState state = new MemoryState();
  final Executor executor = new Executor(List.of(new FlContract()), 1024);
  final ByteString admin = key(0xAD);
  private final TreeMap<ByteString, Long> nonces = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  long height;
  BlockResult last;

  FlChain() {
    register(admin, Role.ADMIN, 0);
  }

  /** A deterministic 32-byte "public key". */
  static ByteString key(int id) {
    byte[] b = new byte[32];
    b[0] = (byte) (id >>> 24);
    b[1] = (byte) (id >>> 16);
    b[2] = (byte) (id >>> 8);
    b[3] = (byte) id;
    b[31] = 1;
    return ByteString.copyFrom(b);
  }

  void register(ByteString who, Role role, long maxSamples) {
    put(Participant.newBuilder().setPublicKey(who).setName("p").setRole(role).setStatus(ParticipantStatus.ACTIVE)
        .setConsent(true).setMaxSamples(maxSamples).build());
  }

  void setStatus(ByteString who, ParticipantStatus status) {
    Participant p = Registry.participant(state, who).orElseThrow();
    put(p.toBuilder().setStatus(status).build());
  }

  private void put(Participant p) {
    state.put(Registry.participantKey(p.getPublicKey()), p.toByteString());
  }

  Transaction tx(ByteString signer, Transaction.Builder payload) {
    long nonce = nonces.merge(signer, 1L, Long::sum);
    return payload.setChainId(CHAIN).setSigner(signer).setNonce(nonce).build();
  }

  Transaction createTask(CreateTask t) {
    return tx(admin, Transaction.newBuilder().setCreateTask(t));
  }

  Transaction submit(ByteString who, SubmitUpdate u) {
    return tx(who, Transaction.newBuilder().setSubmitUpdate(u));
  }

  Transaction close(String task, long round) {
    return tx(admin, Transaction.newBuilder().setCloseRound(CloseRound.newBuilder().setTaskId(task).setRound(round)));
  }

  /** Executes one block and applies its writes. */
  BlockResult block(Transaction... txs) {
    height++;
    List<ParsedTx> parsed = new ArrayList<>();
    for (Transaction t : txs) {
      ByteString body = t.toByteString();
      parsed.add(new ParsedTx(Hash.sha256(body),
          Envelope.newBuilder().setBody(body).setSigner(t.getSigner()).build(), t));
    }
    BlockContext ctx = new BlockContext(CHAIN, height, 1_000L * height, Hash.sha256(ByteString.copyFromUtf8("b" + height)));
    last = executor.execute(ctx, parsed, state, state.lattice());
    for (Map.Entry<ByteString, ByteString> w : last.writes().entrySet()) {
      if (w.getValue() == null) {
        state.delete(w.getKey());
      } else {
        state.put(w.getKey(), w.getValue());
      }
    }
    return last;
  }

  /** Executes one transaction in its own block and returns its receipt. */
  Receipt run(Transaction t) {
    return block(t).receipts().get(0);
  }

  /** Runs empty blocks until (and including) {@code target}. */
  void advanceTo(long target) {
    while (height < target) {
      block();
    }
  }

  List<Event> endEvents(String type) {
    List<Event> out = new ArrayList<>();
    for (Event e : last.endEvents()) {
      if (e.getType().equals(type)) {
        out.add(e);
      }
    }
    return out;
  }

  static String attr(Event e, String key) {
    return e.getAttributesList().stream().filter(a -> a.getKey().equals(key)).findFirst().orElseThrow().getValue();
  }

  /** A valid task over a model of {@code length} zeros with sensible defaults for tests. */
  static CreateTask.Builder task(String id, int length, AggregationRule rule, int f, int m) {
    int min = TaskRules.ruleMinimum(rule, f);
    return CreateTask.newBuilder().setTaskId(id).setDescription("test")
        .addLayout(ModelSegment.newBuilder().setName("weights").setLength(length - 1))
        .addLayout(ModelSegment.newBuilder().setName("bias").setLength(1))
        .setInitialWeights(Weights.pack(new float[length])).setRule(rule).setByzantineF(f).setSelectM(m)
        .setMinUpdates(min).setMaxUpdates(Math.max(min, 20)).setRoundDeadlineBlocks(10).setNormBound(1000.0)
        .setReputation(ReputationParams.newBuilder().setDecay(0.9).setSuspendThreshold(0.3).setMinRounds(3))
        .setRewardPerUpdate(5).setShortfall(ShortfallPolicy.WAIT);
  }

  static SubmitUpdate update(String task, long round, long base, float[] weights, long samples) {
    return SubmitUpdate.newBuilder().setTaskId(task).setRound(round).setBaseVersion(base)
        .setWeights(Weights.pack(weights)).setSampleCount(samples).build();
  }
}
