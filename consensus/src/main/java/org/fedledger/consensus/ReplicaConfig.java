package org.fedledger.consensus;

import java.util.ArrayList;
import java.util.List;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.KeyPair;

/**
 * Everything a {@link Replica} is configured with. Time is counted in {@link Input.Tick}s, whose
 * period the driver chooses (the node ticks every few milliseconds).
 *
 * @param chain the chain: validators (n = 3f+1 in genesis order), chain id, block limits
 * @param self this replica's validator index
 * @param keys this validator's key pair (signs proposals, commit votes, checkpoints, view changes)
 * @param checkpointIntervalBlocks K: a checkpoint after every K-th block (Castro-Liskov §4.3)
 * @param windowBlocks W: sequence numbers in flight above the committed head (pipelining)
 * @param viewChangeTimeoutTicks ticks without progress on pending work before a view change
 * @param viewChangeTimeoutMaxTicks cap of the exponential back-off of the view-change timer
 * @param retransmitTicks ticks without progress before votes and view changes are sent again
 * @param statusIntervalTicks period of the STATUS heartbeat that lets lagging replicas notice
 * @param blockTxMax most transactions per proposed block (at most the chain's block_tx_max)
 * @param blockBytesMax most serialized bytes of transactions per proposed block (below the chain's)
 * @param proposeDelayTicks 0: propose as soon as requests are pending; d: wait up to d ticks to fill
 *     a block (only when fewer than blockTxMax requests are pending and a block is already in
 *     flight: an idle leader proposes at once)
 * @param mempoolTxMax most pending client transactions kept (more are refused and counted)
 * @param transferBatchBlocks most blocks asked for in one state-transfer request
 * @param lazyVoteSync true when the driver fsyncs the consensus log only before the messages that
 *     need it ({@link Ready#syncBeforeSend}) and writes {@link LogKeys#CLEAN_STOP} on a clean stop;
 *     a replica restored without that marker then abstains from the votes it may have forgotten
 *     (see the class doc of {@link Replica}). False: every Ready with records is synced, nothing
 *     is abstained from (also the mode of a driver that never fsyncs votes). Keep it false:
 *     forgotten pre-prepared records can leave a NEW-VIEW undecidable (consensus README)
 */
public record ReplicaConfig(
    Chain chain,
    int self,
    KeyPair keys,
    int checkpointIntervalBlocks,
    int windowBlocks,
    int viewChangeTimeoutTicks,
    int viewChangeTimeoutMaxTicks,
    int retransmitTicks,
    int statusIntervalTicks,
    int blockTxMax,
    int blockBytesMax,
    int proposeDelayTicks,
    int mempoolTxMax,
    int transferBatchBlocks,
    boolean lazyVoteSync) {

  /** As the canonical constructor, without lazy vote sync (every Ready with records is synced). */
  public ReplicaConfig(Chain chain, int self, KeyPair keys, int checkpointIntervalBlocks, int windowBlocks,
      int viewChangeTimeoutTicks, int viewChangeTimeoutMaxTicks, int retransmitTicks, int statusIntervalTicks,
      int blockTxMax, int blockBytesMax, int proposeDelayTicks, int mempoolTxMax, int transferBatchBlocks) {
    this(chain, self, keys, checkpointIntervalBlocks, windowBlocks, viewChangeTimeoutTicks, viewChangeTimeoutMaxTicks,
        retransmitTicks, statusIntervalTicks, blockTxMax, blockBytesMax, proposeDelayTicks, mempoolTxMax,
        transferBatchBlocks, false);
  }

  /** Default K. */
  public static final int DEFAULT_CHECKPOINT_INTERVAL_BLOCKS = 64;
  /** Default W. */
  public static final int DEFAULT_WINDOW_BLOCKS = 16;
  /** Default view-change timeout (with 10 ms ticks: 1 s). */
  public static final int DEFAULT_VIEW_CHANGE_TIMEOUT_TICKS = 100;
  /** Default cap of the view-change back-off (with 10 ms ticks: 30 s). */
  public static final int DEFAULT_VIEW_CHANGE_TIMEOUT_MAX_TICKS = 3_000;
  /** Default retransmission period. */
  public static final int DEFAULT_RETRANSMIT_TICKS = 20;
  /** Default STATUS period. */
  public static final int DEFAULT_STATUS_INTERVAL_TICKS = 50;
  /** Default mempool bound. */
  public static final int DEFAULT_MEMPOOL_TX_MAX = 100_000;
  /** Default blocks per state-transfer request. */
  public static final int DEFAULT_TRANSFER_BATCH_BLOCKS = 64;

  /** A configuration with every knob at its default and block limits from {@code chain}. */
  public static ReplicaConfig defaults(Chain chain, int self, KeyPair keys) {
    return new ReplicaConfig(chain, self, keys, DEFAULT_CHECKPOINT_INTERVAL_BLOCKS, DEFAULT_WINDOW_BLOCKS,
        DEFAULT_VIEW_CHANGE_TIMEOUT_TICKS, DEFAULT_VIEW_CHANGE_TIMEOUT_MAX_TICKS, DEFAULT_RETRANSMIT_TICKS,
        DEFAULT_STATUS_INTERVAL_TICKS, chain.blockTxMax(), chain.blockBytesMax() / 2, 0,
        DEFAULT_MEMPOOL_TX_MAX, DEFAULT_TRANSFER_BATCH_BLOCKS);
  }

  /** Number of validators n. */
  public int n() {
    return chain.validatorCount();
  }

  /** Faults tolerated f = floor((n - 1) / 3). */
  public int f() {
    return (n() - 1) / 3;
  }

  /** Quorum 2f+1. */
  public int quorum() {
    return 2 * f() + 1;
  }

  /** L: sequences kept above the stable checkpoint (high watermark = low watermark + L). */
  public int logBlocks() {
    return Math.max(2 * checkpointIntervalBlocks, windowBlocks + checkpointIntervalBlocks);
  }

  /** A copy with another K and W, for tests and tuning. */
  public ReplicaConfig withPipeline(int checkpointIntervalBlocks, int windowBlocks) {
    return new ReplicaConfig(chain, self, keys, checkpointIntervalBlocks, windowBlocks, viewChangeTimeoutTicks,
        viewChangeTimeoutMaxTicks, retransmitTicks, statusIntervalTicks, blockTxMax, blockBytesMax,
        proposeDelayTicks, mempoolTxMax, transferBatchBlocks, lazyVoteSync);
  }

  /** A copy with other timers. */
  public ReplicaConfig withTimers(int viewChangeTimeoutTicks, int viewChangeTimeoutMaxTicks, int retransmitTicks,
      int statusIntervalTicks) {
    return new ReplicaConfig(chain, self, keys, checkpointIntervalBlocks, windowBlocks, viewChangeTimeoutTicks,
        viewChangeTimeoutMaxTicks, retransmitTicks, statusIntervalTicks, blockTxMax, blockBytesMax,
        proposeDelayTicks, mempoolTxMax, transferBatchBlocks, lazyVoteSync);
  }

  /** A copy with other block limits and batching delay. */
  public ReplicaConfig withBlocks(int blockTxMax, int blockBytesMax, int proposeDelayTicks) {
    return new ReplicaConfig(chain, self, keys, checkpointIntervalBlocks, windowBlocks, viewChangeTimeoutTicks,
        viewChangeTimeoutMaxTicks, retransmitTicks, statusIntervalTicks, blockTxMax, blockBytesMax,
        proposeDelayTicks, mempoolTxMax, transferBatchBlocks, lazyVoteSync);
  }

  /** A copy with lazy vote sync on or off ({@link #lazyVoteSync}). */
  public ReplicaConfig withLazyVoteSync(boolean lazyVoteSync) {
    return new ReplicaConfig(chain, self, keys, checkpointIntervalBlocks, windowBlocks, viewChangeTimeoutTicks,
        viewChangeTimeoutMaxTicks, retransmitTicks, statusIntervalTicks, blockTxMax, blockBytesMax,
        proposeDelayTicks, mempoolTxMax, transferBatchBlocks, lazyVoteSync);
  }

  /** A copy with another state-transfer batch size. */
  public ReplicaConfig withTransferBatchBlocks(int transferBatchBlocks) {
    return new ReplicaConfig(chain, self, keys, checkpointIntervalBlocks, windowBlocks, viewChangeTimeoutTicks,
        viewChangeTimeoutMaxTicks, retransmitTicks, statusIntervalTicks, blockTxMax, blockBytesMax,
        proposeDelayTicks, mempoolTxMax, transferBatchBlocks, lazyVoteSync);
  }

  /**
   * Every problem of this configuration, each naming its field; empty when valid.
   */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    if (chain == null) {
      out.add("chain must be set");
      return out;
    }
    if (self < 0 || self >= n()) {
      out.add("self " + self + " is not a validator index 0.." + (n() - 1));
    } else if (keys == null) {
      out.add("keys must be set");
    } else if (!chain.validators().get(self).getPublicKey().equals(keys.publicKey())) {
      out.add("keys: the public key is not validator " + self + "'s genesis key");
    }
    if (n() != 3 * f() + 1) {
      out.add("chain.validators: n = " + n() + " must be 3f+1 (1, 4, 7, 10, ...)");
    }
    positive(out, "checkpointIntervalBlocks", checkpointIntervalBlocks);
    positive(out, "windowBlocks", windowBlocks);
    positive(out, "viewChangeTimeoutTicks", viewChangeTimeoutTicks);
    positive(out, "retransmitTicks", retransmitTicks);
    positive(out, "statusIntervalTicks", statusIntervalTicks);
    positive(out, "blockTxMax", blockTxMax);
    positive(out, "blockBytesMax", blockBytesMax);
    positive(out, "mempoolTxMax", mempoolTxMax);
    positive(out, "transferBatchBlocks", transferBatchBlocks);
    if (viewChangeTimeoutMaxTicks < viewChangeTimeoutTicks) {
      out.add("viewChangeTimeoutMaxTicks " + viewChangeTimeoutMaxTicks + " is below viewChangeTimeoutTicks "
          + viewChangeTimeoutTicks);
    }
    if (proposeDelayTicks < 0) {
      out.add("proposeDelayTicks must be >= 0, got " + proposeDelayTicks);
    }
    if (blockTxMax > chain.blockTxMax()) {
      out.add("blockTxMax " + blockTxMax + " exceeds the chain's block_tx_max " + chain.blockTxMax());
    }
    if (blockBytesMax > chain.blockBytesMax() - 4096) {
      out.add("blockBytesMax " + blockBytesMax + " leaves no room for the header below the chain's block_bytes_max "
          + chain.blockBytesMax());
    }
    return out;
  }

  /**
   * Checks this configuration.
   *
   * @return this
   * @throws IllegalArgumentException listing every problem
   */
  public ReplicaConfig validate() {
    List<String> p = problems();
    if (!p.isEmpty()) {
      throw new IllegalArgumentException("invalid replica config: " + String.join("; ", p));
    }
    return this;
  }

  private static void positive(List<String> out, String field, long value) {
    if (value <= 0) {
      out.add(field + " must be > 0, got " + value);
    }
  }

  @Override
  public String toString() {
    return "ReplicaConfig[n=" + n() + ", self=" + self + ", K=" + checkpointIntervalBlocks + ", W=" + windowBlocks
        + ", viewChangeTimeoutTicks=" + viewChangeTimeoutTicks + ".." + viewChangeTimeoutMaxTicks
        + ", blockTxMax=" + blockTxMax + (lazyVoteSync ? ", lazyVoteSync" : "") + "]";
  }
}
