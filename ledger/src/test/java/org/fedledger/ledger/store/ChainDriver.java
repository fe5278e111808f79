package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.chain.BlockCheck;
import org.fedledger.ledger.chain.BlockValidator;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.chain.ValidBlock;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.exec.BlockContext;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.ledger.exec.WriteBuffer;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.proto.Block;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateParticipant;

/**
 * Drives a {@link LedgerStore} the way a node does: genesis block, then blocks whose
 * transactions are a deterministic function of their height (registrations, updates and one
 * replayed nonce every third block), validated, executed over the committed state and
 * committed. Because the content depends only on the height, a process that restarts from
 * the reopened head continues the very same chain.
 */
final class ChainDriver {
  static final Chain CHAIN = TestLedger.chain();
  static final int POOL = 40;
  private static final KeyPair[] PARTICIPANTS = new KeyPair[POOL];

  static {
    for (int i = 0; i < POOL; i++) {
      PARTICIPANTS[i] = TestLedger.key(1000 + i);
    }
  }

  private final Executor executor = new Executor(List.of(new RegistryContract()), CHAIN.nonceWindow());
  private final BlockValidator validator = new BlockValidator(CHAIN);

  /** Commits the genesis block (the genesis registry) to an empty store. */
  static void commitGenesis(LedgerStore store, Durability durability) {
    WriteBuffer state = new WriteBuffer(store.state());
    RegistryContract.writeGenesis(CHAIN.genesis(), state);
    LtHash lattice = new LtHash();
    for (Map.Entry<ByteString, ByteString> w : state.writes().entrySet()) {
      lattice.add(w.getKey(), w.getValue());
    }
    Block genesis = Blocks.genesis(CHAIN, lattice.root());
    store.commitBlock(CertifiedBlock.newBuilder().setBlock(genesis).build(),
        new BlockResult(List.of(), List.of(), state.writes(), lattice, lattice.root()), durability);
  }

  /** Builds, validates, executes and commits the block after the store's head; returns it. */
  CertifiedBlock commitNext(LedgerStore store, Durability durability) {
    ChainHead head = store.head().orElseThrow();
    long h = head.height() + 1;
    Block block = Blocks.build(CHAIN, head, transactions(store, h), store.stateRoot(), head.height(),
        (int) (h % 4), 0, CHAIN.genesis().getGenesisTimeMillis() + 10 * h);
    BlockCheck check = validator.validateHistoric(block, head);
    if (!(check instanceof BlockCheck.Valid valid)) {
      throw new AssertionError("driver built an invalid block " + h + ": " + check);
    }
    ValidBlock vb = valid.block();
    BlockResult result = executor.execute(new BlockContext(CHAIN.chainId(), h, vb.header().getTimestampMillis(), vb.hash()),
        vb.txs(), store.state(), store.lattice());
    CertifiedBlock cb = CertifiedBlock.newBuilder().setBlock(block).build();
    store.commitBlock(cb, result, durability);
    return cb;
  }

  /**
   * Builds, validates and executes the {@code count} blocks after the store's head, each over the
   * state the ones before it left, and commits them in ONE {@link LedgerStore#commitBlocks} call;
   * returns what was committed. The blocks are the same as {@code count} calls of {@link #commitNext}.
   */
  List<LedgerStore.BlockCommit> commitBatch(LedgerStore store, int count, Durability durability) {
    return commitBatch(store, count, Map.of(), durability);
  }

  /** {@link #commitBatch(LedgerStore, int, Durability)} with {@code consensusChanges} in the same write. */
  List<LedgerStore.BlockCommit> commitBatch(LedgerStore store, int count,
      Map<com.google.protobuf.ByteString, java.util.Optional<com.google.protobuf.ByteString>> consensusChanges,
      Durability durability) {
    ChainHead head = store.head().orElseThrow();
    WriteBuffer state = new WriteBuffer(store.state());
    LtHash lattice = store.lattice();
    Hash root = store.stateRoot();
    List<LedgerStore.BlockCommit> commits = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long h = head.height() + 1;
      Block block = Blocks.build(CHAIN, head, transactions(state, h), root, head.height(),
          (int) (h % 4), 0, CHAIN.genesis().getGenesisTimeMillis() + 10 * h);
      BlockCheck check = validator.validateHistoric(block, head);
      if (!(check instanceof BlockCheck.Valid valid)) {
        throw new AssertionError("driver built an invalid block " + h + ": " + check);
      }
      ValidBlock vb = valid.block();
      BlockResult result = executor.execute(new BlockContext(CHAIN.chainId(), h, vb.header().getTimestampMillis(),
          vb.hash()), vb.txs(), state, lattice);
      result.writes().forEach((k, v) -> {
        if (v == null) {
          state.delete(k);
        } else {
          state.put(k, v);
        }
      });
      commits.add(new LedgerStore.BlockCommit(CertifiedBlock.newBuilder().setBlock(block).build(), result));
      head = new ChainHead(h, vb.hash(), vb.header().getTimestampMillis());
      lattice = result.lattice();
      root = result.stateRoot();
    }
    store.commitBlocks(commits, consensusChanges, durability);
    return commits;
  }

  /** The transactions of block {@code h}: between 1 and 6 admin transactions, distinct participants. */
  static List<ParsedTx> transactions(LedgerStore store, long h) {
    return transactions(store.state(), h);
  }

  /** {@link #transactions(LedgerStore, long)} over {@code state}. */
  static List<ParsedTx> transactions(org.fedledger.ledger.exec.StateView state, long h) {
    KeyPair admin = TestLedger.ADMIN;
    List<ParsedTx> out = new ArrayList<>();
    int n = 1 + (int) (h % 6);
    for (int i = 0; i < n; i++) {
      KeyPair p = PARTICIPANTS[(int) ((h * 7 + i) % POOL)];
      Transaction.Builder t = TestLedger.tx(admin, h * 8 + i);
      if (Registry.participant(state, p.publicKey()).isEmpty()) {
        out.add(unverified(admin, TestLedger.register(admin, h * 8 + i, p, Role.HOSPITAL)));
      } else {
        out.add(unverified(admin, t.setUpdateParticipant(UpdateParticipant.newBuilder().setPublicKey(p.publicKey())
            .setName("p" + h + "-" + i).setRole(h % 2 == 0 ? Role.EDGE : Role.HOSPITAL)).build()));
      }
    }
    if (h % 3 == 0) {
      // reuses a nonce of the previous block: refused with NONCE_REPLAYED, receipt only
      out.add(unverified(admin, TestLedger.tx(admin, (h - 1) * 8).setUpdateParticipant(UpdateParticipant.newBuilder()
          .setPublicKey(PARTICIPANTS[0].publicKey()).setName("replay" + h).setRole(Role.EDGE)).build()));
    }
    return out;
  }

  private static ParsedTx unverified(KeyPair signer, Transaction tx) {
    Envelope e = TestLedger.sign(signer, tx);
    return new ParsedTx(Hash.sha256(e.getBody()), e, tx);
  }
}
