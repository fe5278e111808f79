package org.fedledger.benchmarks.contracts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedledger.benchmarks.Directories;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.exec.WriteBuffer;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.node.store.BlockCommitter;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateParticipant;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One validator's execution and storing of a committed 1-transaction block, as its event loop
 * does it under {@code CommitRate ONE_TX}: {@link BlockCommitter#commit} executes the block
 * (nonce window, the registry contract, the state lattice and root) over the RocksDB store's
 * state and commits it with group commit. The transaction is an admin updating its own record
 * (the UPDATE_SELF of {@code CommitRate}), the admins taking turns as the benchmark's client
 * does. Signing and building the block happen in a per-invocation setup JMH does not time.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dlogback.configurationFile=fedledger-benchmarks-logback.xml"})
@State(Scope.Thread)
public class BlockExecution {
  private static final String CHAIN_ID = "bench-chain";
  private static final int ADMINS = 32;

  private Path directory;
  private LedgerStore store;
  private Chain chain;
  private BlockCommitter committer;
  private final List<KeyPair> admins = new ArrayList<>();
  private long counter;
  private CertifiedBlock next;
  private List<ParsedTx> nextTxs;

  /** Opens a new store in a temporary directory and commits the genesis block. */
  @Setup(Level.Trial)
  public void open() throws IOException {
    Genesis.Builder genesis = Genesis.newBuilder().setChainId(CHAIN_ID).setGenesisTimeMillis(1_700_000_000_000L);
    for (int i = 0; i < ADMINS; i++) {
      KeyPair a = Ed25519.fromSeed(UpdateValidation.seed(1 + i));
      admins.add(a);
      genesis.addAdmins(GenesisAdmin.newBuilder().setName("admin-" + i).setPublicKey(a.publicKey()));
    }
    for (int i = 0; i < 4; i++) {
      genesis.addValidators(GenesisValidator.newBuilder().setIndex(i).setId("validator-" + i)
          .setPublicKey(Ed25519.fromSeed(UpdateValidation.seed(100 + i)).publicKey())
          .setPeerAddress("127.0.0.1:" + (7000 + i)).setRpcAddress("127.0.0.1:" + (8000 + i)));
    }
    chain = Chain.of(genesis.build());
    WriteBuffer genesisState = new WriteBuffer(new MemoryState());
    RegistryContract.writeGenesis(chain.genesis(), genesisState);
    LtHash lattice = new LtHash();
    genesisState.writes().forEach(lattice::add);
    directory = Files.createTempDirectory("fedledger-bench-exec-");
    store = LedgerStore.open(directory, chain.genesisHash(), Durability.GROUP);
    store.commitBlock(CertifiedBlock.newBuilder().setBlock(Blocks.genesis(chain, lattice.root())).build(),
        new BlockResult(List.of(), List.of(), genesisState.writes(), lattice, lattice.root()), Durability.SYNC);
    committer = new BlockCommitter(chain, store, Durability.GROUP);
  }

  /** Signs the next admin's transaction and builds its block (not timed). */
  @Setup(Level.Invocation)
  public void prepareNextBlock() {
    long k = counter++;
    int a = (int) (k % ADMINS);
    KeyPair admin = admins.get(a);
    long nonce = 1 + k / ADMINS;
    Transaction tx = Transaction.newBuilder().setChainId(CHAIN_ID).setSigner(admin.publicKey()).setNonce(nonce)
        .setUpdateParticipant(UpdateParticipant.newBuilder().setPublicKey(admin.publicKey()).setName("admin-" + a)
            .setRole(Role.ADMIN).setMaxSamples(nonce))
        .build();
    Envelope envelope = UpdateValidation.sign(admin, tx);
    nextTxs = List.of(new ParsedTx(Blocks.txId(envelope), envelope, tx));
    ChainHead head = store.head().orElseThrow();
    Block block = Blocks.build(chain, head, nextTxs, store.stateRoot(), head.height(), 0, 0, head.timestampMillis() + 1);
    next = CertifiedBlock.newBuilder().setBlock(block).build();
  }

  /** Executes and commits the prepared block. */
  @Benchmark
  public BlockCommitter.Committed executeAndCommit() {
    BlockCommitter.Committed c = committer.commit(next, nextTxs);
    if (c.result().receipts().get(0).getStatus() != ReceiptStatus.SUCCESS) {
      throw new IllegalStateException("the update was refused: " + c.result().receipts().get(0));
    }
    return c;
  }

  /** Closes the store and deletes its directory. */
  @TearDown(Level.Trial)
  public void close() {
    store.close();
    Directories.deleteTree(directory);
  }
}
