package org.fedledger.benchmarks.contracts;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.fedledger.consensus.LogKeys;
import org.fedledger.contracts.fl.FlContract;
import org.fedledger.benchmarks.Directories;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.Finality;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.exec.MemoryState;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.exec.WriteBuffer;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.ledger.store.Durability;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.PrePreparedEntry;
import org.fedledger.proto.SlotRecord;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.ValidatorSignature;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Committing one certified block to the RocksDB {@link LedgerStore} in a temporary directory:
 * the block, its indexes and receipts, its state writes, the state lattice and root and the
 * new head in one WriteBatch, with group commit (write(2), no fsync) or SYNC (fsync of the
 * write-ahead log).
 *
 * <p>Each block is realistic and new: {@code transactions} signed RegisterParticipant
 * transactions (an admin onboarding devices, each a fresh Ed25519 key), executed by the real
 * registry and FL contracts over the store's state, with a commit certificate of three
 * validator signatures (a certified block; the others are stored with a certificate without
 * signatures, about 200 bytes less). Building it (key generation, signing, execution) happens in a
 * per-invocation setup that JMH does not time, so only {@link LedgerStore#commitBlock} is
 * measured; wall-clock time per measured call is therefore much larger than the score.
 *
 * <p>With {@code votes}, each commit also carries what a validator's consensus driver writes with
 * a block in the same WriteBatch under ONE_TX load ({@link LedgerStore#commitBlocks(List, Map,
 * Durability)}): two slot records (~500 bytes each, the PRE-PREPARE's block, its signature and
 * the prepared fields: the node writes 1.6 per block, the pre-prepared and the prepared record of
 * a slot coalescing when they fall in one event-loop batch) and, K = 64 blocks later, the
 * deletion of the slot's record and of its certify mark.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dlogback.configurationFile=fedledger-benchmarks-logback.xml"})
@State(Scope.Thread)
public class BlockCommit {
  static final String CHAIN_ID = "bench-chain";
  private static final int VALIDATORS = 4;
  private static final int QUORUM = 3;

  /** Signed transactions per block. */
  @Param({"1", "500"})
  public int transactions;

  /** Whether each commit also writes a validator's consensus records (see the class comment). */
  @Param({"false", "true"})
  public boolean votes;

  /** Group commit or fsync per block. */
  @Param({"GROUP", "SYNC"})
  public Durability durability;

  Path directory;
  LedgerStore store;
  Chain chain;
  Executor executor;
  KeyPair admin;
  List<KeyPair> validators;
  long nonce;
  long deviceCounter;
  CertifiedBlock next;
  BlockResult nextResult;
  Map<ByteString, Optional<ByteString>> nextVotes = Map.of();
  private static final int CHECKPOINT_INTERVAL_BLOCKS = 64;

  /** Opens a new store in a temporary directory and commits the genesis block. */
  @Setup(Level.Trial)
  public void open() throws IOException {
    admin = Ed25519.fromSeed(UpdateValidation.seed(1));
    validators = new ArrayList<>();
    Genesis.Builder genesis = Genesis.newBuilder().setChainId(CHAIN_ID).setGenesisTimeMillis(1_700_000_000_000L)
        .addAdmins(GenesisAdmin.newBuilder().setName("admin").setPublicKey(admin.publicKey()));
    for (int i = 0; i < VALIDATORS; i++) {
      KeyPair v = Ed25519.fromSeed(UpdateValidation.seed(100 + i));
      validators.add(v);
      genesis.addValidators(GenesisValidator.newBuilder().setIndex(i).setId("validator-" + i)
          .setPublicKey(v.publicKey()).setPeerAddress("127.0.0.1:" + (7000 + i))
          .setRpcAddress("127.0.0.1:" + (8000 + i)));
    }
    chain = Chain.of(genesis.build());
    executor = new Executor(List.of(new RegistryContract(), new FlContract()), chain.nonceWindow());

    WriteBuffer genesisState = new WriteBuffer(new MemoryState());
    RegistryContract.writeGenesis(chain.genesis(), genesisState);
    LtHash lattice = new LtHash();
    genesisState.writes().forEach(lattice::add);
    BlockResult genesisResult = new BlockResult(List.of(), List.of(), genesisState.writes(), lattice, lattice.root());

    directory = Files.createTempDirectory("fedledger-bench-store-");
    store = LedgerStore.open(directory, chain.genesisHash(), durability);
    Block genesisBlock = Blocks.genesis(chain, lattice.root());
    store.commitBlock(CertifiedBlock.newBuilder().setBlock(genesisBlock).build(), genesisResult, Durability.SYNC);
  }

  /** Builds, signs, executes and certifies the next block (not timed). */
  @Setup(Level.Invocation)
  public void prepareNextBlock() {
    ChainHead head = store.head().orElseThrow();
    long height = head.height() + 1;
    List<ParsedTx> txs = new ArrayList<>(transactions);
    for (int i = 0; i < transactions; i++) {
      txs.add(registerDevice());
    }
    long timestamp = head.timestampMillis() + 1;
    BlockContext context = new BlockContext(CHAIN_ID, height, timestamp, Hash.sha256(ByteString.copyFromUtf8("h" + height)));
    BlockResult result = executor.execute(context, txs, store.state(), store.lattice());
    UpdateValidation.requireSuccess(result, "RegisterParticipant");
    Block block = Blocks.build(chain, head, txs, store.stateRoot(), head.height(), 0, 0, timestamp);
    next = CertifiedBlock.newBuilder().setBlock(block).setCertificate(certificate(height, Blocks.hash(block))).build();
    nextResult = result;
    if (votes) {
      nextVotes = voteRecords(height, block);
    }
  }

  /** A validator's consensus-log changes written with block {@code height} (see the class comment). */
  private Map<ByteString, Optional<ByteString>> voteRecords(long height, Block block) {
    Hash hash = Blocks.hash(block);
    ByteString signature = admin.sign(hash.bytes());
    SlotRecord.Builder slot = SlotRecord.newBuilder().setSequence(height).setPrePreparedView(0).setBlock(block)
        .setProposalSignature(signature)
        .addPrePrepared(PrePreparedEntry.newBuilder().setSequence(height).setView(0).setBlockHash(hash.bytes()));
    Map<ByteString, Optional<ByteString>> changes = new LinkedHashMap<>();
    changes.put(LogKeys.slot(height + 1), Optional.of(slot.setSequence(height + 1).build().toByteString()));
    changes.put(LogKeys.slot(height), Optional.of(slot.setSequence(height).setPrepared(true).setPreparedView(0)
        .setPreparedHash(hash.bytes()).build().toByteString()));
    if (height > CHECKPOINT_INTERVAL_BLOCKS) {
      changes.put(LogKeys.slot(height - CHECKPOINT_INTERVAL_BLOCKS), Optional.empty());
      changes.put(LogKeys.certify(height - CHECKPOINT_INTERVAL_BLOCKS), Optional.empty());
    }
    return changes;
  }

  /** Commits the prepared block. */
  @Benchmark
  public void commit() {
    store.commitBlocks(List.of(new LedgerStore.BlockCommit(next, nextResult)), nextVotes, durability);
  }

  /** The block {@link #prepareNextBlock} built (for the smoke test). */
  public CertifiedBlock preparedBlock() {
    return next;
  }

  /** The chain the benchmark's blocks belong to (for the smoke test). */
  public Chain chain() {
    return chain;
  }

  /** Height of the store's head (for the smoke test). */
  public long storeHeight() {
    return store.head().orElseThrow().height();
  }

  /** Closes the store and deletes its directory. */
  @TearDown(Level.Trial)
  public void close() {
    store.close();
    Directories.deleteTree(directory);
  }

  private ParsedTx registerDevice() {
    long id = deviceCounter++;
    byte[] seed = new byte[Ed25519.SECRET_KEY_LENGTH];
    for (int b = 0; b < 8; b++) {
      seed[b] = (byte) (id >>> (8 * b));
    }
    seed[31] = (byte) 0xde;
    KeyPair device = Ed25519.fromSeed(seed);
    Transaction tx = Transaction.newBuilder().setChainId(CHAIN_ID).setSigner(admin.publicKey()).setNonce(++nonce)
        .setRegisterParticipant(RegisterParticipant.newBuilder().setPublicKey(device.publicKey())
            .setName("device-" + id).setRole(Role.DEVICE).setConsent(true).setMaxSamples(1000))
        .build();
    Envelope envelope = UpdateValidation.sign(admin, tx);
    return new ParsedTx(Blocks.txId(envelope), envelope, tx);
  }

  private CommitCertificate certificate(long height, Hash blockHash) {
    ByteString statement = Finality.commitStatement(CHAIN_ID, 0, height, blockHash.bytes());
    CommitCertificate.Builder cert = CommitCertificate.newBuilder().setView(0).setHeight(height)
        .setBlockHash(blockHash.bytes());
    for (int i = 0; i < QUORUM; i++) {
      cert.addSignatures(ValidatorSignature.newBuilder().setValidator(i).setSignature(validators.get(i).sign(statement)));
    }
    return cert.build();
  }
}
