package org.fedledger.consensus;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.TreeSet;
import java.util.List;
import java.util.function.Function;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.ChainHead;
import org.fedledger.ledger.chain.TxCheck;
import org.fedledger.ledger.chain.TxValidator;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.Merkle;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.Block;
import org.fedledger.proto.BlockHeader;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Transaction;

/**
 * Validation of a proposed block before a replica votes for it: the ledger's block rules (chain,
 * height and link, limits, tx count and root, state-root shape, timestamp) plus the consensus
 * rules (proposer and view). A transaction this replica already holds, byte for byte, in its
 * mempool is not verified again; any other is verified in full.
 */
final class ProposalCheck {
  private final Chain chain;
  private final TxValidator txs;

  /** A checked proposal: header, hash and parsed transactions. */
  record Proposal(BlockHeader header, List<ParsedTx> txs) {}

  /** The outcome: a proposal or the reason it was refused. */
  record Result(Proposal proposal, String problem) {
    boolean ok() {
      return proposal != null;
    }
  }

  ProposalCheck(Chain chain) {
    this.chain = chain;
    this.txs = new TxValidator(chain);
  }

  static BlockHeader header(Block block) {
    try {
      return BlockHeader.parseFrom(block.getHeader());
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  /**
   * Checks {@code block} proposed on {@code parent}.
   *
   * @param checkNow whether to check the timestamp against {@code nowMillis} (not for re-proposals)
   * @param pooled the mempool's copy of a transaction by id, or null
   */
  Result check(Block block, ChainHead parent, boolean checkNow, long nowMillis, Function<Hash, ParsedTx> pooled) {
    BlockHeader h = header(block);
    if (h == null) {
      return bad("header is not a BlockHeader");
    }
    String problem = checkHeader(h, block, parent, checkNow, nowMillis);
    if (problem != null) {
      return bad(problem);
    }
    List<ParsedTx> parsed = new ArrayList<>(block.getTransactionsCount());
    String txProblem = checkContent(block, h, pooled, parsed);
    if (txProblem != null) {
      return bad(txProblem);
    }
    return new Result(new Proposal(h, parsed), null);
  }

  /**
   * Checks that a block's transactions are what its header commits to (count, Merkle root of
   * the ids, no duplicate) and each is valid; fills {@code parsed}. Null when fine, else the problem.
   * The header hash does not cover envelope signatures, so a block relayed by a peer is checked
   * here even when its hash is certified.
   */
  String checkContent(Block block, BlockHeader h, Function<Hash, ParsedTx> pooled, List<ParsedTx> parsed) {
    int count = block.getTransactionsCount();
    if (count > chain.blockTxMax() || h.getTxCount() != count) {
      return "tx_count wrong or above block_tx_max";
    }
    List<Hash> ids = new ArrayList<>(count);
    TreeSet<Hash> seen = new TreeSet<>();
    for (int i = 0; i < count; i++) {
      Envelope e = block.getTransactions(i);
      Hash id = Hash.sha256(e.getBody());
      if (!seen.add(id)) {
        return "transaction " + i + " appears twice";
      }
      ids.add(id);
      ParsedTx known = pooled.apply(id);
      if (known != null && known.envelope().equals(e)) {
        parsed.add(known);
        continue;
      }
      TxCheck c = txs.check(e);
      if (c instanceof TxCheck.Invalid bad) {
        return "transaction " + i + ": " + bad;
      }
      parsed.add(((TxCheck.Valid) c).tx());
    }
    if (!Merkle.root(ids).bytes().equals(h.getTxRoot())) {
      return "tx_root is not the Merkle root of the transaction ids";
    }
    return null;
  }

  private String checkHeader(BlockHeader h, Block block, ChainHead parent, boolean checkNow, long nowMillis) {
    if (block.getSerializedSize() > chain.blockBytesMax()) {
      return "block exceeds block_bytes_max";
    }
    if (!h.getChainId().equals(chain.chainId())) {
      return "wrong chain id";
    }
    if (h.getHeight() != parent.height() + 1) {
      return "height " + h.getHeight() + " does not follow " + parent.height();
    }
    if (!h.getPreviousHash().equals(parent.hash().bytes())) {
      return "previous_hash does not match the parent";
    }
    if (block.getTransactionsCount() > chain.blockTxMax() || h.getTxCount() != block.getTransactionsCount()) {
      return "tx_count wrong or above block_tx_max";
    }
    if (h.getStateRoot().size() != Hash.LENGTH || h.getStateHeight() < 0 || h.getStateHeight() >= h.getHeight()) {
      return "bad state root";
    }
    if (h.getProposer() < 0 || h.getProposer() >= chain.validatorCount()
        || h.getView() < 0 || Long.remainderUnsigned(h.getView(), chain.validatorCount()) != h.getProposer()) {
      return "proposer " + h.getProposer() + " is not the leader of view " + h.getView();
    }
    long ts = h.getTimestampMillis();
    if (ts < parent.timestampMillis()) {
      return "timestamp before the parent's";
    }
    if (checkNow && Math.abs(ts - nowMillis) > chain.timestampDriftMaxMillis()) {
      return "timestamp " + ts + " too far from now " + nowMillis;
    }
    return null;
  }

  /**
   * Parses the transactions of a block that 2f+1 validators already certified (state transfer,
   * re-proposals of NEW-VIEW): ids and bodies, signatures verified only when {@code verify}.
   */
  List<ParsedTx> parseTxs(Block block, boolean verify, Function<Hash, ParsedTx> pooled) {
    List<ParsedTx> out = new ArrayList<>(block.getTransactionsCount());
    for (Envelope e : block.getTransactionsList()) {
      Hash id = Hash.sha256(e.getBody());
      ParsedTx known = pooled.apply(id);
      if (known != null && known.envelope().equals(e)) {
        out.add(known);
        continue;
      }
      if (verify) {
        TxCheck c = txs.check(e);
        if (c instanceof TxCheck.Invalid) {
          return null;
        }
        out.add(((TxCheck.Valid) c).tx());
      } else {
        try {
          out.add(new ParsedTx(id, e, Transaction.parseFrom(e.getBody())));
        } catch (InvalidProtocolBufferException malformed) {
          return null;
        }
      }
    }
    return out;
  }

  private static Result bad(String problem) {
    return new Result(null, problem);
  }
}
