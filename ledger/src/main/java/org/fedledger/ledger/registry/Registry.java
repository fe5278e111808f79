package org.fedledger.ledger.registry;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Optional;
import org.fedledger.ledger.exec.StateView;
import org.fedledger.proto.Participant;
import org.fedledger.proto.ParticipantStatus;
import org.fedledger.proto.Role;

/**
 * Read access to the participant registry for every contract and for queries.
 *
 * <p>State layout: {@code registry/participant/<32-byte public key>} holds a serialized
 * {@link Participant}.
 */
public final class Registry {
  /** The registry contract's name and state namespace. */
  public static final String NAME = "registry";
  /** Prefix of participant records. */
  public static final ByteString PARTICIPANT_PREFIX = ByteString.copyFromUtf8("registry/participant/");

  private Registry() {}

  /** The state key of {@code publicKey}'s record. */
  public static ByteString participantKey(ByteString publicKey) {
    return PARTICIPANT_PREFIX.concat(publicKey);
  }

  /** The participant registered under {@code publicKey}, if any. */
  public static Optional<Participant> participant(StateView state, ByteString publicKey) {
    Optional<ByteString> raw = state.get(participantKey(publicKey));
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Participant.parseFrom(raw.get()));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt participant record for " + publicKey, e);
    }
  }

  /** True when {@code publicKey} belongs to an active ADMIN. */
  public static boolean isActiveAdmin(StateView state, ByteString publicKey) {
    return participant(state, publicKey)
        .filter(p -> p.getRole() == Role.ADMIN && p.getStatus() == ParticipantStatus.ACTIVE)
        .isPresent();
  }
}
