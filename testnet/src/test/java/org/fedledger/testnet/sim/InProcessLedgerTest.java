package org.fedledger.testnet.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import org.fedledger.contracts.fl.FlQueries;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.ledger.registry.RegistryContract;
import org.fedledger.proto.AggregationRule;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.Test;

class InProcessLedgerTest {
  final KeyPair admin = Experiment.key("admin");
  final KeyPair hospital = Experiment.key("h");
  final InProcessLedger ledger = new InProcessLedger(admin);

  @Test
  void anAdminRegistersAndCreatesATaskThroughSignedTransactions() {
    Receipt r = ledger.run(admin, register(hospital));
    assertThat(r.getStatus()).as(r.getReason()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(Registry.participant(ledger.state(), hospital.publicKey()).orElseThrow().getRole())
        .isEqualTo(Role.HOSPITAL);
    Receipt t = ledger.run(admin, Transaction.newBuilder()
        .setCreateTask(Experiment.task("t", AggregationRule.MULTI_KRUM, 20, 6)));
    assertThat(t.getStatus()).as(t.getReason()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(FlQueries.task(ledger.state(), "t").orElseThrow().getModelLength()).isEqualTo(62);
  }

  @Test
  void aNonAdminCannotRegister() {
    ledger.run(admin, register(hospital));
    Receipt r = ledger.run(hospital, register(Experiment.key("other")));
    assertThat(r.getCode()).isEqualTo(RegistryContract.NOT_ADMIN);
  }

  @Test
  void forgedSignaturesNeverReachABlock() {
    Envelope good = ledger.submit(admin, register(hospital));
    byte[] sig = good.getSignature().toByteArray();
    sig[0] ^= 1;
    Envelope forged = good.toBuilder().setSignature(ByteString.copyFrom(sig)).build();
    assertThatThrownBy(() -> ledger.submit(forged.toByteString())).hasMessageContaining("BAD_SIGNATURE");
    assertThatThrownBy(() -> ledger.submit(ByteString.copyFromUtf8("garbage"))).hasMessageContaining("refused");
    assertThat(ledger.commit().receipts()).hasSize(1);
  }

  private static Transaction.Builder register(KeyPair who) {
    return Transaction.newBuilder().setRegisterParticipant(RegisterParticipant.newBuilder()
        .setPublicKey(who.publicKey()).setName("hospital").setRole(Role.HOSPITAL).setConsent(true));
  }
}
