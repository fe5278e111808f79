package org.fedledger.ledger.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.fedledger.ledger.MemLedger;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.Event;
import org.fedledger.proto.Participant;
import org.fedledger.proto.ParticipantStatus;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.ReceiptStatus;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.SetParticipantStatus;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateParticipant;
import org.junit.jupiter.api.Test;

class RegistryContractTest {
  private static final TreeSet<String> SEEN = new TreeSet<>();
  private final MemLedger l = new MemLedger(1024);
  private final KeyPair admin = TestLedger.ADMIN;
  private final KeyPair hospital = TestLedger.key(70);
  private final KeyPair admin2 = TestLedger.key(71);
  private long nonce;

  private Transaction.Builder tx(KeyPair signer) {
    return TestLedger.tx(signer, ++nonce);
  }

  private Receipt register(KeyPair signer, ByteString key, String name, Role role) {
    return l.run(signer, tx(signer).setRegisterParticipant(RegisterParticipant.newBuilder()
        .setPublicKey(key).setName(name).setRole(role).setConsent(true).setMaxSamples(500)).build());
  }

  private Receipt update(KeyPair signer, ByteString key, String name, Role role) {
    return l.run(signer, tx(signer).setUpdateParticipant(UpdateParticipant.newBuilder()
        .setPublicKey(key).setName(name).setRole(role)).build());
  }

  private Receipt status(KeyPair signer, ByteString key, ParticipantStatus status, String reason) {
    return l.run(signer, tx(signer).setSetParticipantStatus(SetParticipantStatus.newBuilder()
        .setPublicKey(key).setStatus(status).setReason(reason)).build());
  }

  @Test
  void genesisHoldsValidatorsAndAdmins() {
    assertThat(Registry.participant(l.state, TestLedger.key(0).publicKey())).get()
        .extracting(Participant::getRole, Participant::getStatus, Participant::getName)
        .containsExactly(Role.VALIDATOR, ParticipantStatus.ACTIVE, "validator-0");
    assertThat(Registry.isActiveAdmin(l.state, admin.publicKey())).isTrue();
    assertThat(Registry.isActiveAdmin(l.state, TestLedger.key(0).publicKey())).isFalse();
  }

  @Test
  void anAdminRegistersUpdatesSuspendsAndReactivates() {
    Receipt r = register(admin, hospital.publicKey(), "St Mary", Role.HOSPITAL);
    assertThat(r.getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(r.getEventsList()).extracting(Event::getType).containsExactly("participant.registered");
    Participant p = Registry.participant(l.state, hospital.publicKey()).orElseThrow();
    assertThat(p.getName()).isEqualTo("St Mary");
    assertThat(p.getRole()).isEqualTo(Role.HOSPITAL);
    assertThat(p.getStatus()).isEqualTo(ParticipantStatus.ACTIVE);
    assertThat(p.getMaxSamples()).isEqualTo(500);
    assertThat(p.getRegisteredHeight()).isEqualTo(l.height);

    assertThat(update(admin, hospital.publicKey(), "St Mary's", Role.EDGE).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(Registry.participant(l.state, hospital.publicKey()).orElseThrow().getRole()).isEqualTo(Role.EDGE);

    assertThat(status(admin, hospital.publicKey(), ParticipantStatus.SUSPENDED, "audit").getStatus())
        .isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(Registry.isActive(l.state, hospital.publicKey())).isFalse();
    assertThat(Registry.participant(l.state, hospital.publicKey()).orElseThrow().getStatusReason()).isEqualTo("audit");
    assertThat(status(admin, hospital.publicKey(), ParticipantStatus.ACTIVE, "").getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(Registry.isActive(l.state, hospital.publicKey())).isTrue();
  }

  @Test
  void onlyActiveAdminsChangeIt() {
    register(admin, hospital.publicKey(), "h", Role.HOSPITAL);
    refused(register(hospital, TestLedger.key(72).publicKey(), "x", Role.DEVICE), RegistryContract.NOT_ADMIN);
    refused(register(TestLedger.key(0), TestLedger.key(72).publicKey(), "x", Role.DEVICE), RegistryContract.NOT_ADMIN);
    refused(status(hospital, hospital.publicKey(), ParticipantStatus.ACTIVE, ""), RegistryContract.NOT_ADMIN);
    refused(update(TestLedger.key(99), hospital.publicKey(), "h", Role.ADMIN), RegistryContract.NOT_ADMIN);

    // an ADMIN registered by an ADMIN may change the registry ...
    assertThat(register(admin, admin2.publicKey(), "second admin", Role.ADMIN).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    assertThat(register(admin2, TestLedger.key(73).publicKey(), "d", Role.DEVICE).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    // ... until suspended
    assertThat(status(admin, admin2.publicKey(), ParticipantStatus.SUSPENDED, "").getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    refused(register(admin2, TestLedger.key(74).publicKey(), "e", Role.EDGE), RegistryContract.NOT_ADMIN);
  }

  @Test
  void eachRefusalHasItsCode() {
    register(admin, hospital.publicKey(), "h", Role.HOSPITAL);
    refused(register(admin, hospital.publicKey(), "again", Role.HOSPITAL), RegistryContract.ALREADY_REGISTERED);
    refused(update(admin, TestLedger.key(80).publicKey(), "n", Role.EDGE), RegistryContract.UNKNOWN_PARTICIPANT);
    refused(status(admin, TestLedger.key(80).publicKey(), ParticipantStatus.SUSPENDED, ""), RegistryContract.UNKNOWN_PARTICIPANT);
    refused(register(admin, ByteString.copyFrom(new byte[31]), "n", Role.EDGE), RegistryContract.BAD_PUBLIC_KEY);
    refused(register(admin, TestLedger.key(81).publicKey(), "n", Role.ROLE_UNSPECIFIED), RegistryContract.ROLE_UNSPECIFIED);
    refused(l.run(admin, tx(admin).setRegisterParticipant(RegisterParticipant.newBuilder()
        .setPublicKey(TestLedger.key(81).publicKey()).setName("n").setRoleValue(42)).build()), RegistryContract.UNKNOWN_ROLE);
    refused(register(admin, TestLedger.key(81).publicKey(), "n", Role.VALIDATOR), RegistryContract.VALIDATOR_FIXED_AT_GENESIS);
    refused(update(admin, TestLedger.key(1).publicKey(), "v", Role.EDGE), RegistryContract.VALIDATOR_FIXED_AT_GENESIS);
    refused(status(admin, TestLedger.key(1).publicKey(), ParticipantStatus.SUSPENDED, ""), RegistryContract.VALIDATOR_FIXED_AT_GENESIS);
    refused(register(admin, TestLedger.key(81).publicKey(), "", Role.EDGE), RegistryContract.BAD_NAME);
    refused(register(admin, TestLedger.key(81).publicKey(), "n".repeat(129), Role.EDGE), RegistryContract.BAD_NAME);
    refused(status(admin, hospital.publicKey(), ParticipantStatus.PARTICIPANT_STATUS_UNSPECIFIED, ""), RegistryContract.BAD_STATUS);
    refused(status(admin, hospital.publicKey(), ParticipantStatus.SUSPENDED, "r".repeat(513)), RegistryContract.REASON_TOO_LONG);
    refused(status(admin, admin.publicKey(), ParticipantStatus.SUSPENDED, "oops"), RegistryContract.LAST_ADMIN);
    refused(update(admin, admin.publicKey(), "admin", Role.HOSPITAL), RegistryContract.LAST_ADMIN);
  }

  @Test
  void withASecondAdminTheFirstMayStepDown() {
    register(admin, admin2.publicKey(), "second", Role.ADMIN);
    assertThat(update(admin, admin.publicKey(), "admin", Role.AUDITOR).getStatus()).isEqualTo(ReceiptStatus.SUCCESS);
    refused(register(admin, hospital.publicKey(), "h", Role.HOSPITAL), RegistryContract.NOT_ADMIN);
    refused(status(admin2, admin2.publicKey(), ParticipantStatus.SUSPENDED, ""), RegistryContract.LAST_ADMIN);
  }

  /** A refusal: the receipt names the code, and only the signer's nonce record changed. */
  private void refused(Receipt r, String code) {
    assertThat(r.getStatus()).as(r.getReason()).isEqualTo(ReceiptStatus.REJECTED);
    assertThat(r.getCode()).as(r.getReason()).isEqualTo(code);
    assertThat(r.getReason()).isNotEmpty();
    assertThat(r.getEventsList()).isEmpty();
    for (Map.Entry<ByteString, ByteString> w : l.last.writes().entrySet()) {
      assertThat(w.getKey().toStringUtf8()).startsWith("nonce/");
    }
    SEEN.add(code);
  }

  /** Runs every case above on fresh instances, so that this holds whichever tests were selected. */
  @Test
  void everyCodeWasShown() throws Exception {
    SEEN.clear();
    new RegistryContractTest().onlyActiveAdminsChangeIt();
    new RegistryContractTest().eachRefusalHasItsCode();
    new RegistryContractTest().withASecondAdminTheFirstMayStepDown();
    assertThat(SEEN).containsExactlyInAnyOrder(RegistryContract.NOT_ADMIN, RegistryContract.ALREADY_REGISTERED,
        RegistryContract.UNKNOWN_PARTICIPANT, RegistryContract.BAD_PUBLIC_KEY, RegistryContract.ROLE_UNSPECIFIED,
        RegistryContract.UNKNOWN_ROLE, RegistryContract.VALIDATOR_FIXED_AT_GENESIS, RegistryContract.BAD_NAME,
        RegistryContract.BAD_STATUS, RegistryContract.REASON_TOO_LONG, RegistryContract.LAST_ADMIN);
    assertThat(List.copyOf(SEEN)).hasSize(11);
  }
}
