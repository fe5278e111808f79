package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import java.util.TreeSet;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.CheckpointCertificate;
import org.fedledger.proto.CheckpointStatement;
import org.fedledger.proto.CommitCertificate;
import org.fedledger.proto.CommitStatement;
import org.fedledger.proto.PrePrepare;
import org.fedledger.proto.ProposalStatement;
import org.fedledger.proto.ValidatorSignature;

/**
 * The statements validators sign, and the verification of signatures and certificates with
 * the genesis validator keys alone. A statement's signed bytes are its canonical serialization
 * (fixed-width scalars, bytes and bools, in field order, defaults omitted), rebuilt by the
 * verifier from the message's fields.
 */
public final class Statements {
  private final Chain chain;

  /** Statements of {@code chain}. */
  public Statements(Chain chain) {
    this.chain = chain;
  }

  /**
   * The bytes a leader signs when it proposes {@code blockHash} at (view, sequence) with
   * PrePrepare.certify = {@code certify}: a PRE-PREPARE's flag is as undeniable as its block.
   */
  public ByteString proposal(long view, long sequence, ByteString blockHash, boolean certify) {
    return ProposalStatement.newBuilder().setChainId(chain.chainId()).setView(view).setSequence(sequence)
        .setBlockHash(blockHash).setCertify(certify).build().toByteString();
  }

  /** The bytes the leader of {@code pp} signed, rebuilt from its fields. */
  public ByteString proposal(PrePrepare pp, Hash blockHash) {
    return proposal(pp.getView(), pp.getSequence(), blockHash.bytes(), pp.getCertify());
  }

  /** The bytes a validator signs when it commits {@code blockHash} at (view, height). */
  public ByteString commit(long view, long height, ByteString blockHash) {
    return CommitStatement.newBuilder().setChainId(chain.chainId()).setView(view).setHeight(height)
        .setBlockHash(blockHash).build().toByteString();
  }

  /** The bytes a validator signs for a checkpoint. */
  public ByteString checkpoint(long sequence, ByteString blockHash, ByteString stateRoot) {
    return CheckpointStatement.newBuilder().setChainId(chain.chainId()).setSequence(sequence)
        .setBlockHash(blockHash).setStateRoot(stateRoot).build().toByteString();
  }

  /** Signs {@code statement} with {@code keys}. */
  public static ByteString sign(KeyPair keys, ByteString statement) {
    return keys.sign(statement);
  }

  /** True when {@code signature} over {@code statement} is validator {@code index}'s. */
  public boolean verify(int index, ByteString statement, ByteString signature) {
    if (index < 0 || index >= chain.validatorCount()) {
      return false;
    }
    return Ed25519.verify(chain.validators().get(index).getPublicKey(), statement, signature);
  }

  /**
   * True when {@code cert} holds valid signatures of at least 2f+1 distinct validators over
   * its CommitStatement, and certifies {@code blockHash} at {@code height}.
   */
  public boolean verifyCommit(CommitCertificate cert, long height, Hash blockHash) {
    if (cert.getHeight() != height || !cert.getBlockHash().equals(blockHash.bytes())) {
      return false;
    }
    ByteString statement = commit(cert.getView(), cert.getHeight(), cert.getBlockHash());
    return countValid(statement, cert.getSignaturesList()) >= quorum();
  }

  /** True when {@code cert} is a stable-checkpoint certificate (genesis needs no signatures). */
  public boolean verifyCheckpoint(CheckpointCertificate cert) {
    if (cert.getSequence() == 0) {
      return true;
    }
    if (cert.getBlockHash().size() != Hash.LENGTH || cert.getStateRoot().size() != Hash.LENGTH) {
      return false;
    }
    ByteString statement = checkpoint(cert.getSequence(), cert.getBlockHash(), cert.getStateRoot());
    return countValid(statement, cert.getSignaturesList()) >= quorum();
  }

  private int countValid(ByteString statement, java.util.List<ValidatorSignature> signatures) {
    if (signatures.size() > chain.validatorCount()) {
      return 0; // more signatures than validators: padded to make us verify in vain
    }
    TreeSet<Integer> good = new TreeSet<>();
    for (ValidatorSignature s : signatures) {
      if (!good.contains(s.getValidator()) && good.size() < quorum()
          && verify(s.getValidator(), statement, s.getSignature())) {
        good.add(s.getValidator());
      }
    }
    return good.size();
  }

  private int quorum() {
    return 2 * ((chain.validatorCount() - 1) / 3) + 1;
  }
}
