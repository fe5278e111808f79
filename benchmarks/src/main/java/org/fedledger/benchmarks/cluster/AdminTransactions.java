package org.fedledger.benchmarks.cluster;

import com.google.protobuf.ByteString;
import java.util.List;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateParticipant;

/**
 * Signed registry transactions by the genesis admins. Transaction {@code k} is signed by admin
 * {@code k mod admins} with that admin's next nonce, so with {@code a} admins a client keeps up
 * to {@code a * 1024} transactions in flight inside the nonce window. The first {@code
 * presigned} are signed before the run (in parallel); later ones are signed when asked for,
 * and counted.
 */
public final class AdminTransactions implements Workload {
  /** What each transaction does. */
  public enum Kind {
    /**
     * The admin updates its own registry record (name and max_samples): one read and one
     * write of state, the cheapest signed transaction the chain has.
     */
    UPDATE_SELF,
    /**
     * The admin registers a new participant: the contract also checks that the new public key
     * is a valid Ed25519 point of the prime-order subgroup (about the cost of a verification).
     */
    REGISTER
  }

  private final Kind kind;
  private final List<KeyPair> admins;
  private final Presigned presigned;
  private final int firstNonce;
  private final int firstParticipant;
  private int next;

  /**
   * Transactions of {@code kind} by {@code admins} (nonces from {@code firstNonce}); REGISTER
   * registers the participants with key seeds from {@code firstParticipant} (two such
   * workloads on one chain need disjoint ranges). The first {@code presigned} are signed now.
   */
  public AdminTransactions(Kind kind, List<KeyPair> admins, int firstNonce, int firstParticipant, int presigned) {
    this.kind = kind;
    this.admins = List.copyOf(admins);
    this.firstNonce = firstNonce;
    this.firstParticipant = firstParticipant;
    this.presigned = new Presigned(presigned, this::sign);
  }

  /** Transaction {@code k}. */
  Envelope sign(int k) {
    int a = k % admins.size();
    KeyPair admin = admins.get(a);
    long nonce = firstNonce + k / admins.size();
    Transaction.Builder tx = Transaction.newBuilder().setChainId(LocalCluster.CHAIN_ID).setSigner(admin.publicKey())
        .setNonce(nonce);
    switch (kind) {
      case UPDATE_SELF:
        tx.setUpdateParticipant(UpdateParticipant.newBuilder().setPublicKey(admin.publicKey())
            .setName(LocalCluster.adminName(a)).setRole(Role.ADMIN).setMaxSamples(nonce));
        break;
      case REGISTER:
        tx.setRegisterParticipant(RegisterParticipant.newBuilder().setName("p" + k).setRole(Role.HOSPITAL)
            .setPublicKey(LocalCluster.key(firstParticipant + k).publicKey()).setConsent(true));
        break;
    }
    return envelope(admin, tx.build());
  }

  static Envelope envelope(KeyPair signer, Transaction tx) {
    ByteString body = tx.toByteString();
    return Envelope.newBuilder().setBody(body).setSigner(signer.publicKey()).setSignature(signer.sign(body)).build();
  }

  @Override
  public synchronized Envelope next() {
    int k = next++;
    return presigned.get(k);
  }

  @Override
  public synchronized long signedDuringRun() {
    return presigned.signedDuringRun();
  }
}
