package org.fedledger.benchmarks.cluster;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.stream.IntStream;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;

/**
 * Admins registering new participants: the cheapest transaction the chain has (one registry
 * write). Transaction {@code k} is signed by admin {@code k mod admins} with that admin's next
 * nonce, so with {@code a} admins a client keeps up to {@code a * 1024} transactions in flight
 * inside the nonce window. The first {@code presigned} are signed before the run (in
 * parallel); later ones are signed when asked for, and counted.
 */
public final class Registrations implements Workload {
  private final List<KeyPair> admins;
  private final Envelope[] presigned;
  private final int firstNonce;
  private final int firstParticipant;
  private int next;
  private long signedDuringRun;

  /**
   * Registrations by {@code admins} (nonces from {@code firstNonce}) of the participants with
   * key seeds from {@code firstParticipant} (two workloads on one chain need disjoint ranges);
   * the first {@code presigned} are signed now.
   */
  public Registrations(List<KeyPair> admins, int firstNonce, int firstParticipant, int presigned) {
    this.admins = List.copyOf(admins);
    this.firstNonce = firstNonce;
    this.firstParticipant = firstParticipant;
    this.presigned = IntStream.range(0, presigned).parallel().mapToObj(this::sign).toArray(Envelope[]::new);
  }

  /** Registration {@code k}. */
  Envelope sign(int k) {
    KeyPair admin = admins.get(k % admins.size());
    long nonce = firstNonce + k / admins.size();
    KeyPair participant = LocalCluster.key(firstParticipant + k);
    Transaction tx = Transaction.newBuilder().setChainId(LocalCluster.CHAIN_ID).setSigner(admin.publicKey())
        .setNonce(nonce).setRegisterParticipant(RegisterParticipant.newBuilder().setName("p" + k)
            .setRole(Role.HOSPITAL).setPublicKey(participant.publicKey()).setConsent(true))
        .build();
    return envelope(admin, tx);
  }

  static Envelope envelope(KeyPair signer, Transaction tx) {
    ByteString body = tx.toByteString();
    return Envelope.newBuilder().setBody(body).setSigner(signer.publicKey()).setSignature(signer.sign(body)).build();
  }

  @Override
  public synchronized Envelope next() {
    int k = next++;
    if (k < presigned.length) {
      Envelope e = presigned[k];
      presigned[k] = null;
      return e;
    }
    signedDuringRun++;
    return sign(k);
  }

  @Override
  public synchronized long signedDuringRun() {
    return signedDuringRun;
  }
}
