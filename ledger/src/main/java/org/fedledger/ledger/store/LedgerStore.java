package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.BlockResult;
import org.fedledger.ledger.exec.Executor;
import org.fedledger.ledger.exec.LtHash;
import org.fedledger.ledger.exec.StateView;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Event;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's durable ledger in RocksDB: certified blocks, indexes, receipts, contract state,
 * the consensus log and the chain metadata, one column family each.
 *
 * <p>{@link #commitBlocks} writes one or more consecutive blocks, their indexes and receipts,
 * their state writes and roots and the new head in ONE WriteBatch, so after a crash at any
 * moment the store reopens at the boundary of such a batch (see {@link Durability} for what
 * survives which crash).
 *
 * <p><b>The state lattice</b> (the {@link LtHash} behind the state root, 2 KiB) is kept in memory
 * and written only by a clean {@link #close}, tagged with its head: writing it with every commit
 * was two thirds of the bytes of a one-transaction block. After a crash (the tag is older than the
 * head) {@link #open} rebuilds it from a full scan of the state, one LtHash expansion per entry,
 * and checks it against the head's stored state root.
 * The store refuses to open a data directory made for another genesis hash.
 *
 * <p>Column families and keys (heights are 8-byte big-endian):
 * <ul>
 *   <li>{@code blocks}: height → CertifiedBlock
 *   <li>{@code block_hash}: block hash → height (point lookups only; each family's RocksDB
 *       options, e.g. its memtable and compression, are in {@link StoreOptions})
 *   <li>{@code tx_index}: tx id → height (8) ‖ index (4) of its FIRST occurrence (likewise)
 *   <li>{@code receipts}: height ‖ index (4) → Receipt; height ‖ 0xffffffff → end-of-block events
 *       as a Receipt with only {@code height} and {@code events} set
 *   <li>{@code state}: contract state key → value
 *   <li>{@code consensus}: opaque keys and values of the consensus driver ({@link ConsensusLog}),
 *       written alone or in the same WriteBatch as blocks ({@link #commitBlocks(List, Map, Durability)})
 *   <li>{@code meta}: {@code genesis}, {@code head} (height ‖ hash ‖ timestamp), {@code lattice}
 *       (height ‖ hash of the head it belongs to ‖ lattice, written at close), and {@code root/<height>}
 *       the state root after each block (stores written before batched commits also hold an
 *       unused {@code root}, the head's root, and an untagged lattice, tagged when opened)
 * </ul>
 *
 * <p>One thread commits; any thread may read. Every native object is closed by {@link #close};
 * reads and writes after {@code close} fail with IllegalStateException (the caller must stop its
 * readers before closing: a read racing with {@code close} is not guarded). Snapshots must be
 * closed before the store.
 */
public final class LedgerStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerStore.class);
  private static final int END_EVENTS_INDEX = 0xffffffff;
  private static final byte[] META_GENESIS = bytes("genesis");
  private static final byte[] META_HEAD = bytes("head");
  private static final byte[] META_LATTICE = bytes("lattice");
  private static final byte[] META_ROOT_AT = bytes("root/");
  /** The head record: height ‖ hash ‖ timestamp. */
  private static final int HEAD_BYTES = 8 + Hash.LENGTH + 8;

  static {
    RocksDB.loadLibrary();
  }

  /** The committed head, lattice and root, replaced atomically after each commit. */
  private record Tip(ChainHead head, LtHash lattice, Hash root) {}

  private final Path dir;
  private final Hash genesisHash;
  private final Durability defaultDurability;
  private final RocksDB db;
  private final StoreOptions options;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle blocks;
  private final ColumnFamilyHandle blockHash;
  private final ColumnFamilyHandle txIndex;
  private final ColumnFamilyHandle receipts;
  private final ColumnFamilyHandle state;
  private final ColumnFamilyHandle meta;
  private final WriteOptions syncWrite;
  private final WriteOptions groupWrite;
  private final ConsensusLog consensusLog;
  private final RocksStateView stateView;
  private final Object commitLock = new Object();
  private volatile Tip tip;
  private volatile boolean closed;

  private LedgerStore(Path dir, Hash genesisHash, Durability defaultDurability, RocksDB db, StoreOptions options,
      List<ColumnFamilyHandle> handles) {
    this.dir = dir;
    this.genesisHash = genesisHash;
    this.defaultDurability = defaultDurability;
    this.db = db;
    this.options = options;
    this.handles = handles;
    this.blocks = handles.get(1);
    this.blockHash = handles.get(2);
    this.txIndex = handles.get(3);
    this.receipts = handles.get(4);
    this.state = handles.get(5);
    this.meta = handles.get(7);
    this.syncWrite = new WriteOptions().setSync(true);
    this.groupWrite = new WriteOptions().setSync(false);
    this.consensusLog = new ConsensusLog(db, handles.get(6), syncWrite, groupWrite, this::checkOpen);
    this.stateView = new RocksStateView(db, state, this::checkOpen);
  }

  /**
   * Opens (creating if needed) the store in {@code dir} for the chain pinned by
   * {@code genesisHash}. A new store is empty (no head) until its genesis block is committed.
   *
   * @param defaultDurability what {@link #commitBlock(CertifiedBlock, BlockResult)} uses
   * @throws StoreException if the directory belongs to another genesis or cannot be opened
   */
  public static LedgerStore open(Path dir, Hash genesisHash, Durability defaultDurability) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StoreException("cannot create data directory " + dir + ": " + e.getMessage(), e);
    }
    StoreOptions options = new StoreOptions();
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db;
    try {
      db = RocksDB.open(options.db(), dir.toString(), options.descriptors(), handles);
    } catch (RocksDBException e) {
      options.close();
      throw new StoreException("cannot open ledger store " + dir + ": " + e.getMessage(), e);
    }
    LedgerStore store = new LedgerStore(dir, genesisHash, defaultDurability, db, options, handles);
    try {
      store.pinGenesis();
      store.tip = store.loadTip();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  private void pinGenesis() {
    byte[] stored = Scans.get(db, meta, META_GENESIS);
    if (stored == null) {
      if (Scans.get(db, meta, META_HEAD) != null) {
        throw new StoreException("ledger store " + dir + " has a head but no genesis hash: corrupt");
      }
      write(Durability.SYNC, b -> b.put(meta, META_GENESIS, genesisHash.toByteArray()));
      return;
    }
    Hash existing = Hash.of(stored);
    if (!existing.equals(genesisHash)) {
      throw new StoreException("ledger store " + dir + " was made for genesis " + existing.hex()
          + ", not for this chain's genesis " + genesisHash.hex() + "; use another data directory");
    }
  }

  private Tip loadTip() {
    byte[] head = Scans.get(db, meta, META_HEAD);
    if (head == null) {
      return null;
    }
    if (head.length != HEAD_BYTES) {
      throw new StoreException("ledger store " + dir + ": the head record has " + head.length + " bytes, not "
          + HEAD_BYTES + ": corrupt");
    }
    ByteBuffer b = ByteBuffer.wrap(head);
    long height = b.getLong();
    byte[] hash = new byte[Hash.LENGTH];
    b.get(hash);
    ChainHead h = new ChainHead(height, Hash.of(hash), b.getLong());
    byte[] rootBytes = Scans.get(db, meta, Codec.concat(META_ROOT_AT, Codec.height(height)));
    if (rootBytes == null || rootBytes.length != Hash.LENGTH) {
      throw new StoreException("ledger store " + dir + ": the state root of head " + height
          + " is missing or has the wrong length: corrupt");
    }
    Hash root = Hash.of(rootBytes);
    LtHash lattice = storedLattice(h);
    if (lattice == null) {
      lattice = LatticeRecord.rebuild(db, state, dir, height);
    }
    if (!lattice.root().equals(root)) {
      throw new StoreException("ledger store " + dir + ": the state lattice does not match the stored state root of"
          + " head " + height + ": corrupt");
    }
    LOG.info("opened ledger store {} at height {} ({})", dir, height, h.hash().shortHex());
    return new Tip(h, lattice, root);
  }

  /**
   * The lattice written by the last clean {@link #close} if it belongs to {@code head}; null when
   * it is missing or older (the store was not closed cleanly since). A store written before the
   * lattice moved to {@code close} holds it untagged, rewritten at every block: that one is the
   * head's, and is tagged now, so that it is never taken for the head's once newer blocks exist.
   */
  private LtHash storedLattice(ChainHead head) {
    byte[] v = Scans.get(db, meta, META_LATTICE);
    if (v == null) {
      return null;
    }
    if (LatticeRecord.isUntagged(v)) {
      LtHash untagged = LtHash.fromBytes(ByteString.copyFrom(v));
      write(Durability.SYNC, batch -> batch.put(meta, META_LATTICE, LatticeRecord.encode(head, untagged)));
      return untagged;
    }
    return LatticeRecord.decode(v, head, dir);
  }

  /** One block of a {@link #commitBlocks} batch and what executing it produced. */
  public record BlockCommit(CertifiedBlock block, BlockResult result) {
    /** Checks presence. */
    public BlockCommit {
      java.util.Objects.requireNonNull(block, "block");
      java.util.Objects.requireNonNull(result, "result");
    }
  }

  /**
   * Commits {@code block}, executed with {@code result}, as the new head, with the store's
   * default durability. The block must extend the head (height + 1, previous hash = head hash),
   * or be the height-0 genesis block of an empty store; anything else is a broken invariant.
   */
  public void commitBlock(CertifiedBlock block, BlockResult result) {
    commitBlock(block, result, defaultDurability);
  }

  /** Commits {@code block} as {@link #commitBlock(CertifiedBlock, BlockResult)} with {@code durability}. */
  public void commitBlock(CertifiedBlock block, BlockResult result, Durability durability) {
    commitBlocks(List.of(new BlockCommit(block, result)), durability);
  }

  /**
   * Commits {@code commits}, consecutive blocks each executed over the state after the one
   * before it (the first over the head's), in ONE atomic write: after a crash the store holds
   * all of them or none. The first must extend the head as in {@link #commitBlock}, each next one
   * the block before it. Per block it writes the block, its hash and transaction indexes, its
   * receipts, its state writes and its state root ({@link #stateRootAt}); the lattice and the head
   * are written once, the last block's. Nothing is written when {@code commits} is empty.
   */
  public void commitBlocks(List<BlockCommit> commits, Durability durability) {
    commitBlocks(commits, Map.of(), durability);
  }

  /**
   * Commits {@code commits} as {@link #commitBlocks(List, Durability)} and applies
   * {@code consensusChanges} to the {@link #consensusLog()} (as {@link ConsensusLog#write}) in the
   * SAME atomic write: the consensus driver's records of an event-loop batch and the blocks it
   * committed cost one write (and at most one fsync). With no commits, only the changes are
   * written; with neither, nothing.
   */
  public void commitBlocks(List<BlockCommit> commits, Map<ByteString, Optional<ByteString>> consensusChanges,
      Durability durability) {
    if (commits.isEmpty()) {
      if (!consensusChanges.isEmpty()) {
        consensusLog.write(consensusChanges, durability);
      }
      return;
    }
    List<ChainHead> heads = new ArrayList<>(commits.size());
    synchronized (commitLock) {
      Tip t = tip;
      ChainHead previous = t == null ? null : t.head();
      for (BlockCommit c : commits) {
        ChainHead h = checkExtends(c, previous);
        heads.add(h);
        previous = h;
      }
      BlockResult last = commits.get(commits.size() - 1).result();
      try {
        write(durability, batch -> {
          consensusLog.fill(batch, consensusChanges);
          fillBatch(batch, commits, heads);
        });
      } catch (RuntimeException e) {
        stateView.invalidate(); // the state may or may not hold the batch: the cache forgets it all
        throw e;
      }
      stateView.committed(commits); // its cache, after the write
      tip = new Tip(previous, last.lattice().copy(), last.stateRoot());
    }
  }

  /** Checks that {@code c} extends {@code previous} (null: an empty store) and returns its head. */
  private static ChainHead checkExtends(BlockCommit c, ChainHead previous) {
    CertifiedBlock block = c.block();
    BlockHeader header;
    try {
      header = BlockHeader.parseFrom(block.getBlock().getHeader());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("committing a block whose header does not parse", e);
    }
    long height = header.getHeight();
    if (previous == null) {
      if (height != 0) {
        throw new IllegalStateException("an empty store must first commit the genesis block, not height " + height);
      }
    } else if (height != previous.height() + 1) {
      throw new IllegalStateException("block " + height + " does not follow head " + previous.height());
    } else if (!header.getPreviousHash().equals(previous.hash().bytes())) {
      throw new IllegalStateException("block " + height + " does not link to head " + previous.hash().shortHex());
    }
    if (c.result().receipts().size() != block.getBlock().getTransactionsCount()) {
      throw new IllegalArgumentException(c.result().receipts().size() + " receipts for "
          + block.getBlock().getTransactionsCount() + " transactions at height " + height);
    }
    for (Receipt r : c.result().receipts()) {
      if (r.getTxId().size() != Hash.LENGTH) { // the tx_index memtable buckets keys by their first 8 bytes
        throw new IllegalArgumentException("a receipt at height " + height + " has a " + r.getTxId().size()
            + "-byte transaction id, not " + Hash.LENGTH);
      }
    }
    return new ChainHead(height, Hash.sha256(block.getBlock().getHeader()), header.getTimestampMillis());
  }

  /**
   * Whether {@code r} is its transaction's first occurrence (the one {@code tx_index} keeps).
   * A transaction that got past the nonce check used its nonce in this block, so it was never
   * committed before: had it been, its nonce would be used or below the replay window now, and a
   * nonce never becomes usable again. Only a transaction refused for its nonce may have been
   * committed before, in this batch or in the store: only for those (and receipts without a status)
   * is the index read.
   */
  private boolean mayBeFirst(Receipt r, TreeSet<ByteString> indexedHere) {
    boolean nonceUsed = r.getStatus() == ReceiptStatus.SUCCESS || (r.getStatus() == ReceiptStatus.REJECTED
        && !r.getCode().equals(Executor.NONCE_REPLAYED) && !r.getCode().equals(Executor.NONCE_TOO_OLD));
    if (nonceUsed) {
      return true;
    }
    return !indexedHere.contains(r.getTxId()) && Scans.get(db, txIndex, r.getTxId().toByteArray()) == null;
  }

  private void fillBatch(BatchBuilder batch, List<BlockCommit> commits, List<ChainHead> heads) {
    TreeSet<ByteString> indexedHere = new TreeSet<>(ByteString.unsignedLexicographicalComparator());
    for (int i = 0; i < commits.size(); i++) {
      fillBlock(batch, commits.get(i).block(), commits.get(i).result(), heads.get(i), indexedHere);
    }
    ChainHead head = heads.get(heads.size() - 1);
    batch.put(meta, META_HEAD, ByteBuffer.allocate(HEAD_BYTES).putLong(head.height()).put(head.hash().toByteArray())
        .putLong(head.timestampMillis()).array());
  }

  /** The records of one block; {@code indexedHere}: transaction ids indexed earlier in this batch. */
  private void fillBlock(BatchBuilder batch, CertifiedBlock block, BlockResult result, ChainHead head,
      TreeSet<ByteString> indexedHere) {
    byte[] h = Codec.height(head.height());
    batch.put(blocks, h, block);
    batch.put(blockHash, head.hash().toByteArray(), h);
    for (Receipt r : result.receipts()) {
      byte[] location = Codec.location(head.height(), r.getIndex());
      batch.put(receipts, location, r);
      if (mayBeFirst(r, indexedHere)) {
        indexedHere.add(r.getTxId());
        batch.put(txIndex, r.getTxId().toByteArray(), location);
      }
    }
    if (!result.endEvents().isEmpty()) {
      Receipt end = Receipt.newBuilder().setHeight(head.height()).addAllEvents(result.endEvents()).build();
      batch.put(receipts, Codec.location(head.height(), END_EVENTS_INDEX), end);
    }
    for (Map.Entry<ByteString, ByteString> w : result.writes().entrySet()) {
      if (w.getValue() == null) {
        batch.delete(state, w.getKey().toByteArray());
      } else {
        batch.put(state, w.getKey().toByteArray(), w.getValue());
      }
    }
    batch.put(meta, Codec.concat(META_ROOT_AT, h), result.stateRoot().toByteArray());
  }

  /** Adds the records of one write to a batch. */
  @FunctionalInterface
  private interface BatchFiller {
    void fill(BatchBuilder batch);
  }

  private void write(Durability durability, BatchFiller filler) {
    checkOpen();
    BatchBuilder records = new BatchBuilder();
    filler.fill(records);
    try (WriteBatch batch = records.build()) {
      db.write(durability == Durability.SYNC ? syncWrite : groupWrite, batch);
    } catch (RocksDBException e) {
      throw new StoreException("write to ledger store " + dir + " failed: " + e.getMessage(), e);
    }
  }

  /** Makes every write so far durable against power loss (fsyncs the write-ahead log). */
  public void sync() {
    checkOpen();
    try {
      db.syncWal();
    } catch (RocksDBException e) {
      throw new StoreException("fsync of ledger store " + dir + " failed: " + e.getMessage(), e);
    }
  }

  /** The committed head; empty before the genesis block is committed. */
  public Optional<ChainHead> head() {
    Tip t = tip;
    return t == null ? Optional.empty() : Optional.of(t.head());
  }

  /** The state lattice after the head (a copy); the empty lattice before genesis. */
  public LtHash lattice() {
    Tip t = tip;
    return t == null ? new LtHash() : t.lattice().copy();
  }

  /** The state root after the head; the empty state's root before genesis. */
  public Hash stateRoot() {
    Tip t = tip;
    return t == null ? new LtHash().root() : t.root();
  }

  /** The state root after block {@code height}, if that block is committed. */
  public Optional<Hash> stateRootAt(long height) {
    checkOpen();
    byte[] v = Scans.get(db, meta, Codec.concat(META_ROOT_AT, Codec.height(height)));
    return v == null ? Optional.empty() : Optional.of(Hash.of(v));
  }

  /** The genesis hash this store is pinned to. */
  public Hash genesisHash() {
    return genesisHash;
  }

  /** The data directory. */
  public Path directory() {
    return dir;
  }

  /** The certified block at {@code height}, if committed. */
  public Optional<CertifiedBlock> block(long height) {
    return blockBytes(height).map(b -> parse(b, CertifiedBlock.parser(), "block " + height));
  }

  /** The serialized CertifiedBlock at {@code height}, if committed (for serving peers without re-encoding). */
  public Optional<ByteString> blockBytes(long height) {
    checkOpen();
    byte[] v = Scans.get(db, blocks, Codec.height(height));
    return v == null ? Optional.empty() : Optional.of(UnsafeByteOperations.unsafeWrap(v));
  }

  /** The height of the committed block with hash {@code hash}, if any. */
  public Optional<Long> heightOf(Hash hash) {
    checkOpen();
    byte[] v = Scans.get(db, blockHash, hash.toByteArray());
    return v == null ? Optional.empty() : Optional.of(Codec.height(v));
  }

  /** Where transaction {@code txId} first appeared, if it did. */
  public Optional<TxLocation> txLocation(Hash txId) {
    checkOpen();
    byte[] v = Scans.get(db, txIndex, txId.toByteArray());
    return v == null ? Optional.empty() : Optional.of(Codec.location(v));
  }

  /** The receipt of the transaction at {@code index} in block {@code height}. */
  public Optional<Receipt> receipt(long height, int index) {
    checkOpen();
    byte[] v = Scans.get(db, receipts, Codec.location(height, index));
    return v == null ? Optional.empty()
        : Optional.of(parse(UnsafeByteOperations.unsafeWrap(v), Receipt.parser(), "receipt " + height + "/" + index));
  }

  /** The receipt of transaction {@code txId}'s first occurrence. */
  public Optional<Receipt> receipt(Hash txId) {
    return txLocation(txId).flatMap(l -> receipt(l.height(), l.index()));
  }

  /** The receipts of block {@code height} in block order (empty if none or not committed). */
  public List<Receipt> receipts(long height) {
    checkOpen();
    List<Receipt> out = new ArrayList<>();
    for (Map.Entry<ByteString, ByteString> e : Scans.scan(db, receipts, ByteString.copyFrom(Codec.height(height)), null)) {
      Receipt r = parse(e.getValue(), Receipt.parser(), "receipt at height " + height);
      if (e.getKey().substring(8).asReadOnlyByteBuffer().getInt() != END_EVENTS_INDEX) {
        out.add(r);
      }
    }
    return out;
  }

  /** The events the contracts emitted at the end of block {@code height}. */
  public List<Event> endEvents(long height) {
    return receipt(height, END_EVENTS_INDEX).map(Receipt::getEventsList).orElse(List.of());
  }

  /**
   * The committed contract state, read live: each read sees the state after the newest block
   * committed at the time of that read. The executor uses it on the committing thread; other
   * threads that need several consistent reads use {@link #snapshot()}.
   */
  public StateView state() {
    return stateView;
  }

  /** A consistent view of the state after the current head; the caller closes it. */
  public StateSnapshot snapshot() {
    checkOpen();
    synchronized (commitLock) {
      Tip t = tip;
      return new StateSnapshot(db, state, db.getSnapshot(), t == null ? -1 : t.head().height(), this::checkOpen);
    }
  }

  /** The consensus driver's own key-value log. */
  public ConsensusLog consensusLog() {
    return consensusLog;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("ledger store " + dir + " is closed");
    }
  }

  private static <T> T parse(ByteString bytes, com.google.protobuf.Parser<T> parser, String what) {
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException("ledger store: " + what + " is corrupt", e);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Closes the database and every native object; idempotent. */
  @Override
  public void close() {
    synchronized (commitLock) {
      if (closed) {
        return;
      }
      Tip t = tip;
      if (t != null) {
        try {
          write(Durability.SYNC, batch -> batch.put(meta, META_LATTICE, LatticeRecord.encode(t.head(), t.lattice())));
        } catch (StoreException e) {
          LOG.warn("ledger store {}: could not write the state lattice at close ({}); the next open rebuilds it",
              dir, e.getMessage());
        }
      }
      closed = true;
      for (ColumnFamilyHandle h : handles) {
        h.close();
      }
      db.close();
      syncWrite.close();
      groupWrite.close();
      options.close();
    }
  }
}
