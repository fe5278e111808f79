package org.fedledger.testnet;

import com.google.protobuf.ByteString;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.CreateTask;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisValidator;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.TaskState;
import org.fedledger.proto.Transaction;
import org.fedledger.testnet.attack.AttackMode;
import org.fedledger.testnet.attack.AttackParams;
import org.fedledger.testnet.attack.Cohort;
import org.fedledger.testnet.client.FederatedRounds;
import org.fedledger.testnet.client.NodeClient;
import org.fedledger.testnet.client.Signer;
import org.fedledger.testnet.fl.LocalLearner;
import org.fedledger.testnet.fl.Partition;
import org.fedledger.testnet.fl.Standardiser;
import org.fedledger.testnet.fl.Wdbc;
import org.fedledger.testnet.sim.Experiment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The federated-learning demo against running validators: the ADMIN registers hospitals
 * (some of them attackers), creates a Multi-Krum task over the WDBC logistic-regression
 * layout, and the hospitals run rounds over gRPC, each update a signed SubmitUpdate; every
 * round prints the new global model's accuracy and AUC on a held-out fold and the
 * reputation table. Re-running continues the task (the hospitals' keys are kept in
 * {@code --keys-dir}).
 */
@Command(name = "fl-demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Federated learning on WDBC over a running FedLedger testnet.")
public final class FlDemo implements Callable<Integer> {
  @Option(names = "--testnet", paramLabel = "DIR",
      description = "testnet directory with genesis.json and admin.key (default for --rpc, --admin-key, --keys-dir)")
  Path testnet;

  @Option(names = "--rpc", split = ",", paramLabel = "HOST:PORT",
      description = "validator gRPC addresses (default: every validator's rpc_address in DIR/genesis.json)")
  List<String> rpc = new ArrayList<>();

  @Option(names = "--admin-key", paramLabel = "FILE", description = "ADMIN key file (default DIR/admin.key)")
  Path adminKey;

  @Option(names = "--keys-dir", paramLabel = "DIR", description = "hospital key files, created if missing "
      + "(default DIR/fl-demo-keys)")
  Path keysDir;

  @Option(names = "--task", defaultValue = "wdbc-demo", description = "task id (default ${DEFAULT-VALUE})")
  String taskId;

  @Option(names = "--hospitals", defaultValue = "8", description = "hospitals (default ${DEFAULT-VALUE})")
  int hospitals;

  @Option(names = "--attackers", defaultValue = "2", description = "of which attack (default ${DEFAULT-VALUE})")
  int attackers;

  @Option(names = "--attack", defaultValue = "SIGN_FLIP",
      description = "attack mode: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
  AttackMode attack;

  @Option(names = "--rounds", defaultValue = "10", description = "rounds to run (default ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--fold", defaultValue = "0", description = "held-out stratified fold 0-4 (default ${DEFAULT-VALUE})")
  int fold;

  @Option(names = "--seed", defaultValue = "1", description = "data split and training seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--round-timeout-seconds", defaultValue = "120",
      description = "give up when a round does not close in this time (default ${DEFAULT-VALUE})")
  long roundTimeoutSeconds;

  private final PrintStream out;

  FlDemo(PrintStream out) {
    this.out = out;
  }

  /** Runs the demo; exit code 0 when every round closed. */
  public static void main(String[] args) {
    LocalLearner.quietTribuo();
    System.exit(new CommandLine(new FlDemo(System.out)).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    validate();
    try (NodeClient node = new NodeClient(addresses())) {
      Genesis genesis = node.genesis();
      long firstNonce = System.currentTimeMillis() * 1000;
      Signer admin = new Signer(KeyFile.read(adminKeyPath()), genesis.getChainId(), firstNonce);
      Partition part = Partition.of(Wdbc.load(), 5, fold, 7L, hospitals, 1.0, 5, seed);
      List<double[][]> stats = new ArrayList<>();
      for (int c = 0; c < hospitals; c++) {
        stats.add(Standardiser.statistics(part.shard(c)));
      }
      Standardiser std = Standardiser.fromStatistics(stats);
      Cohort cohort = new Cohort(part, std, attackers, attack, AttackParams.standard(), seed);
      List<Signer> signers = new ArrayList<>();
      for (int c = 0; c < hospitals; c++) {
        signers.add(new Signer(hospitalKey(cohort.name(c)), genesis.getChainId(), firstNonce));
      }
      out.printf(Locale.ROOT, "chain %s, %d validators, task %s: %d hospitals, %d attacking (%s), fold %d held out%n",
          genesis.getChainId(), genesis.getValidatorsCount(), taskId, hospitals, attackers, attack, fold);
      register(node, admin, cohort, signers);
      createTask(node, admin);
      new FederatedRounds(node, taskId, cohort, signers, admin, LocalLearner.testSet(part.test(), std), out,
          roundTimeoutSeconds * 1000).run(rounds);
      return 0;
    }
  }

  private void validate() {
    if (hospitals < 1 || attackers < 0 || attackers >= hospitals) {
      throw new CommandLine.ParameterException(new CommandLine(this), "need 0 <= --attackers < --hospitals");
    }
    if (hospitals < 2 * attackers + 3) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "Multi-Krum needs --hospitals >= 2 x --attackers + 3");
    }
    if (testnet == null && (rpc.isEmpty() || adminKey == null)) {
      throw new CommandLine.ParameterException(new CommandLine(this), "give --testnet, or --rpc and --admin-key");
    }
  }

  private List<String> addresses() throws java.io.IOException {
    if (!rpc.isEmpty()) {
      return rpc;
    }
    Genesis g = GenesisFile.parse(Files.readString(testnet.resolve("genesis.json")));
    List<String> out = new ArrayList<>();
    for (GenesisValidator v : g.getValidatorsList()) {
      out.add(v.getRpcAddress());
    }
    return out;
  }

  private Path adminKeyPath() {
    return adminKey != null ? adminKey : testnet.resolve("admin.key");
  }

  private KeyPair hospitalKey(String name) throws java.io.IOException {
    Path dir = keysDir != null ? keysDir : testnet != null ? testnet.resolve("fl-demo-keys") : Path.of("fl-demo-keys");
    Files.createDirectories(dir);
    Path file = dir.resolve(name + ".key");
    if (Files.exists(file)) {
      return KeyFile.read(file);
    }
    KeyPair key = Ed25519.generate(new SecureRandom());
    KeyFile.write(file, key);
    return key;
  }

  private void register(NodeClient node, Signer admin, Cohort cohort, List<Signer> signers) {
    List<ByteString> ids = new ArrayList<>();
    for (int c = 0; c < cohort.size(); c++) {
      if (node.participant(signers.get(c).publicKey()).isPresent()) {
        continue;
      }
      ids.add(node.submit(admin.sign(Transaction.newBuilder().setRegisterParticipant(RegisterParticipant.newBuilder()
          .setPublicKey(signers.get(c).publicKey()).setName(cohort.name(c)).setRole(Role.HOSPITAL).setConsent(true)
          .setMaxSamples(cohort.rows(c))))));
      out.printf(Locale.ROOT, "registering %s %s (max_samples %d)%n", cohort.name(c),
          Keys.shortHex(signers.get(c).publicKey()), cohort.rows(c));
    }
    for (ByteString id : ids) {
      requireSuccess(node.waitForCommit(id, roundTimeoutSeconds * 1000), "registration");
    }
  }

  private void createTask(NodeClient node, Signer admin) {
    java.util.Optional<TaskState> existing = node.task(taskId);
    if (existing.isPresent()) {
      out.printf(Locale.ROOT, "task %s exists: continuing at round %d (model v%d)%n", taskId,
          existing.get().getCurrentRound(), existing.get().getCurrentVersion());
      return;
    }
    CreateTask spec = Experiment.task(taskId, AggregationRule.MULTI_KRUM, hospitals, attackers).toBuilder()
        .setMinUpdates(hospitals).setRoundDeadlineBlocks(50).build();
    requireSuccess(node.waitForCommit(node.submit(admin.sign(Transaction.newBuilder().setCreateTask(spec))),
        roundTimeoutSeconds * 1000), "task creation");
    out.printf(Locale.ROOT, "created task %s: MULTI_KRUM f=%d m=%d, collusion and direction checks, "
        + "suspension below %.2f%n", taskId, attackers, spec.getSelectM(), spec.getReputation().getSuspendThreshold());
  }

  private static void requireSuccess(Receipt r, String what) {
    if (r.getStatus() != ReceiptStatus.SUCCESS) {
      throw new IllegalStateException(what + " refused: " + r.getCode() + " " + r.getReason());
    }
  }
}
