package org.fedledger.ledger.registry;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.exec.Contract;
import org.fedledger.ledger.exec.ContractException;
import org.fedledger.ledger.exec.State;
import org.fedledger.ledger.exec.StateView;
import org.fedledger.ledger.exec.TxContext;
import org.fedledger.proto.Attribute;
import org.fedledger.proto.Event;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;
import org.fedledger.proto.Participant;
import org.fedledger.proto.ParticipantStatus;
import org.fedledger.proto.RegisterParticipant;
import org.fedledger.proto.Role;
import org.fedledger.proto.SetParticipantStatus;
import org.fedledger.proto.Transaction;
import org.fedledger.proto.UpdateParticipant;

/**
 * The participant registry contract: who may do what on the ledger.
 *
 * <p>Only an active ADMIN (listed in genesis, or registered by an ADMIN) may register a
 * participant, change one, or suspend and reactivate one. VALIDATOR records come from genesis
 * only (PBFT membership is fixed there), so no transaction creates, changes or suspends them.
 * The last active ADMIN cannot be demoted or suspended, so the registry never locks itself.
 */
public final class RegistryContract implements Contract {
  /** The signer is not an active ADMIN. */
  public static final String NOT_ADMIN = "NOT_ADMIN";
  /** A participant with this public key exists already. */
  public static final String ALREADY_REGISTERED = "ALREADY_REGISTERED";
  /** No participant has this public key. */
  public static final String UNKNOWN_PARTICIPANT = "UNKNOWN_PARTICIPANT";
  /** The public key is not a valid Ed25519 key. */
  public static final String BAD_PUBLIC_KEY = "BAD_PUBLIC_KEY";
  /** No role given. */
  public static final String ROLE_UNSPECIFIED = "ROLE_UNSPECIFIED";
  /** A role number this version does not know. */
  public static final String UNKNOWN_ROLE = "UNKNOWN_ROLE";
  /** VALIDATOR records are fixed at genesis. */
  public static final String VALIDATOR_FIXED_AT_GENESIS = "VALIDATOR_FIXED_AT_GENESIS";
  /** The name is empty or too long. */
  public static final String BAD_NAME = "BAD_NAME";
  /** The status is neither ACTIVE nor SUSPENDED. */
  public static final String BAD_STATUS = "BAD_STATUS";
  /** The reason text is too long. */
  public static final String REASON_TOO_LONG = "REASON_TOO_LONG";
  /** The change would leave no active ADMIN. */
  public static final String LAST_ADMIN = "LAST_ADMIN";

  /** Longest participant name, in characters. */
  public static final int NAME_LENGTH_MAX = 128;
  /** Longest status reason, in characters. */
  public static final int REASON_LENGTH_MAX = 512;

  @Override
  public String name() {
    return Registry.NAME;
  }

  @Override
  public List<Transaction.PayloadCase> payloads() {
    return List.of(
        Transaction.PayloadCase.REGISTER_PARTICIPANT,
        Transaction.PayloadCase.UPDATE_PARTICIPANT,
        Transaction.PayloadCase.SET_PARTICIPANT_STATUS);
  }

  @Override
  public void execute(TxContext ctx, Transaction tx, State state) throws ContractException {
    if (!Registry.isActiveAdmin(state, ctx.signer())) {
      throw new ContractException(NOT_ADMIN, "signer " + Keys.shortHex(ctx.signer()) + " is not an active ADMIN");
    }
    switch (tx.getPayloadCase()) {
      case REGISTER_PARTICIPANT:
        register(ctx, tx.getRegisterParticipant(), state);
        break;
      case UPDATE_PARTICIPANT:
        update(ctx, tx.getUpdateParticipant(), state);
        break;
      case SET_PARTICIPANT_STATUS:
        setStatus(ctx, tx.getSetParticipantStatus(), state);
        break;
      default:
        throw new AssertionError("executor dispatched " + tx.getPayloadCase() + " to the registry");
    }
  }

  private static void register(TxContext ctx, RegisterParticipant r, State state) throws ContractException {
    checkKey(r.getPublicKey());
    checkName(r.getName());
    checkRole(r.getRole());
    if (Registry.participant(state, r.getPublicKey()).isPresent()) {
      throw new ContractException(ALREADY_REGISTERED, "participant " + Keys.shortHex(r.getPublicKey()) + " is already registered");
    }
    Participant p = Participant.newBuilder()
        .setPublicKey(r.getPublicKey()).setName(r.getName()).setRole(r.getRole())
        .setStatus(ParticipantStatus.ACTIVE).setConsent(r.getConsent()).setMaxSamples(r.getMaxSamples())
        .setRegisteredHeight(ctx.height()).setUpdatedHeight(ctx.height()).build();
    Registry.write(state, p);
    ctx.events().emit(event("participant.registered", p));
  }

  private static void update(TxContext ctx, UpdateParticipant u, State state) throws ContractException {
    Participant old = existing(state, u.getPublicKey());
    checkName(u.getName());
    checkRole(u.getRole());
    if (old.getRole() == Role.ADMIN && u.getRole() != Role.ADMIN && old.getStatus() == ParticipantStatus.ACTIVE) {
      checkNotLastAdmin(state, u.getPublicKey());
    }
    Participant p = old.toBuilder().setName(u.getName()).setRole(u.getRole()).setConsent(u.getConsent())
        .setMaxSamples(u.getMaxSamples()).setUpdatedHeight(ctx.height()).build();
    Registry.write(state, p);
    ctx.events().emit(event("participant.updated", p));
  }

  private static void setStatus(TxContext ctx, SetParticipantStatus s, State state) throws ContractException {
    Participant old = existing(state, s.getPublicKey());
    if (s.getStatus() != ParticipantStatus.ACTIVE && s.getStatus() != ParticipantStatus.SUSPENDED) {
      throw new ContractException(BAD_STATUS, "status must be ACTIVE or SUSPENDED, got " + s.getStatus());
    }
    if (s.getReason().length() > REASON_LENGTH_MAX) {
      throw new ContractException(REASON_TOO_LONG, "reason is longer than " + REASON_LENGTH_MAX + " characters");
    }
    if (old.getRole() == Role.ADMIN && old.getStatus() == ParticipantStatus.ACTIVE
        && s.getStatus() == ParticipantStatus.SUSPENDED) {
      checkNotLastAdmin(state, s.getPublicKey());
    }
    Participant p = old.toBuilder().setStatus(s.getStatus()).setStatusReason(s.getReason())
        .setUpdatedHeight(ctx.height()).build();
    Registry.write(state, p);
    ctx.events().emit(event("participant.status_changed", p));
  }

  private static Participant existing(StateView state, ByteString key) throws ContractException {
    Optional<Participant> p = Registry.participant(state, key);
    if (p.isEmpty()) {
      throw new ContractException(UNKNOWN_PARTICIPANT, "no participant " + Keys.shortHex(key));
    }
    if (p.get().getRole() == Role.VALIDATOR) {
      throw new ContractException(VALIDATOR_FIXED_AT_GENESIS, "validator records are fixed at genesis");
    }
    return p.get();
  }

  private static void checkKey(ByteString key) throws ContractException {
    if (!Ed25519.isValidPublicKey(key)) {
      throw new ContractException(BAD_PUBLIC_KEY, "public key is not a valid Ed25519 key (" + key.size() + " bytes)");
    }
  }

  private static void checkName(String name) throws ContractException {
    if (name.isEmpty() || name.length() > NAME_LENGTH_MAX) {
      throw new ContractException(BAD_NAME, "name must be 1-" + NAME_LENGTH_MAX + " characters, got " + name.length());
    }
  }

  private static void checkRole(Role role) throws ContractException {
    switch (role) {
      case ROLE_UNSPECIFIED:
        throw new ContractException(ROLE_UNSPECIFIED, "a role is required");
      case UNRECOGNIZED:
        throw new ContractException(UNKNOWN_ROLE, "unknown role number");
      case VALIDATOR:
        throw new ContractException(VALIDATOR_FIXED_AT_GENESIS, "validators are fixed at genesis");
      case ADMIN:
      case HOSPITAL:
      case EDGE:
      case DEVICE:
      case AUDITOR:
        return;
    }
    throw new AssertionError(role);
  }

  private static void checkNotLastAdmin(StateView state, ByteString leaving) throws ContractException {
    for (Map.Entry<ByteString, ByteString> e : state.scan(Registry.PARTICIPANT_PREFIX)) {
      ByteString key = e.getKey().substring(Registry.PARTICIPANT_PREFIX.size());
      if (!key.equals(leaving) && Registry.isActiveAdmin(state, key)) {
        return;
      }
    }
    throw new ContractException(LAST_ADMIN, "the change would leave no active ADMIN");
  }

  private static Event event(String type, Participant p) {
    return Event.newBuilder().setType(type)
        .addAttributes(attr("public_key", Keys.hex(p.getPublicKey())))
        .addAttributes(attr("name", p.getName()))
        .addAttributes(attr("role", p.getRole().name()))
        .addAttributes(attr("status", p.getStatus().name()))
        .build();
  }

  private static Attribute attr(String key, String value) {
    return Attribute.newBuilder().setKey(key).setValue(value).build();
  }

  /**
   * Writes the genesis registry into {@code state} at height 0: every validator as an active
   * VALIDATOR and every admin as an active ADMIN. {@code genesis} must have been validated.
   */
  public static void writeGenesis(Genesis genesis, State state) {
    for (GenesisValidator v : genesis.getValidatorsList()) {
      Registry.write(state, Participant.newBuilder().setPublicKey(v.getPublicKey()).setName(v.getId())
          .setRole(Role.VALIDATOR).setStatus(ParticipantStatus.ACTIVE).build());
    }
    for (GenesisAdmin a : genesis.getAdminsList()) {
      Registry.write(state, Participant.newBuilder().setPublicKey(a.getPublicKey()).setName(a.getName())
          .setRole(Role.ADMIN).setStatus(ParticipantStatus.ACTIVE).build());
    }
  }
}
