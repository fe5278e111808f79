package org.fedledger.consensus;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Keys of the records a replica persists in the consensus log. All start with {@link #PREFIX},
 * so a driver restores a replica from {@code ConsensusLog.scan(LogKeys.PREFIX)}.
 */
public final class LogKeys {
  private LogKeys() {}

  /** Every key starts with these bytes: {@code "pbft/"}. */
  public static final ByteString PREFIX = ascii("pbft/");
  /** The {@code ViewRecord}. */
  public static final ByteString VIEW = ascii("pbft/view");
  /** The {@code CheckpointRecord}. */
  public static final ByteString CHECKPOINT = ascii("pbft/checkpoint");
  /**
   * The vote reservation: 16 bytes, the big-endian view and sequence ("through"). Synced before
   * this replica sends a PRE-PREPARE or PREPARE of that view for a sequence above the one it
   * replaces, so no vote of the view above "through" ever left before it was durable.
   */
  public static final ByteString RESERVATION = ascii("pbft/reserve");
  /**
   * The abstention after an unclean restart, same encoding as {@link #RESERVATION}: no
   * PRE-PREPARE or PREPARE of that view at or below that sequence is sent any more (synced before
   * anything leaves the restarted replica; it also binds later, clean restarts).
   */
  public static final ByteString ABSTAIN = ascii("pbft/abstain");
  /**
   * Written (synced) by a driver that stopped cleanly: every record of everything it sent is
   * durable. A replica restored with it deletes it (synced) before anything leaves; one restored
   * without it abstains ({@link #ABSTAIN}). The value is {@link #CLEAN_STOP_VALUE}.
   */
  public static final ByteString CLEAN_STOP = ascii("pbft/clean-stop");
  /** The value of {@link #CLEAN_STOP}. */
  public static final ByteString CLEAN_STOP_VALUE = ascii("1");
  /** Prefix of the {@code SlotRecord}s; the key ends with the 8-byte big-endian sequence. */
  public static final ByteString SLOT_PREFIX = ascii("pbft/slot/");

  /**
   * Prefix of the certify marks: the key ends with the 8-byte big-endian sequence, the value is the
   * 8-byte big-endian view whose accepted PRE-PREPARE asked for a certificate.
   */
  public static final ByteString CERTIFY_PREFIX = ascii("pbft/certify/");

  /**
   * Prefix of the prepared marks: the key ends with the 8-byte big-endian sequence, the value is
   * the 8-byte big-endian view and the 32-byte hash of the block this replica became prepared
   * for ({@link #viewAndHash}). A mark is written instead of a whole {@code SlotRecord} when the
   * slot record in the log already holds that block, pre-prepared in that view; it is deleted
   * whenever the slot record is rewritten, so a mark in the log is always newer than its slot record.
   */
  public static final ByteString PREPARED_PREFIX = ascii("pbft/prepared/");

  /** The key of the prepared mark of {@code sequence}. */
  public static ByteString prepared(long sequence) {
    return PREPARED_PREFIX.concat(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(sequence).array()));
  }

  /** The 40-byte value of a prepared mark: the view, then the block hash. */
  static ByteString viewAndHash(long view, ByteString hash) {
    if (hash.size() != 32) {
      throw new IllegalArgumentException("block hash of " + hash.size() + " bytes");
    }
    byte[] b = new byte[40];
    ByteBuffer.wrap(b).putLong(view);
    hash.copyTo(b, 8);
    return ByteString.copyFrom(b);
  }

  /** The key of the certify mark of {@code sequence}. */
  public static ByteString certify(long sequence) {
    return CERTIFY_PREFIX.concat(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(sequence).array()));
  }

  /** The key of the slot record of {@code sequence}. */
  public static ByteString slot(long sequence) {
    return SLOT_PREFIX.concat(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(sequence).array()));
  }

  /** The 16-byte value of a {@link #RESERVATION} or {@link #ABSTAIN} record. */
  static ByteString viewAndSequence(long view, long sequence) {
    return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(view).putLong(sequence).array());
  }

  /** The sequence of a slot key. */
  public static long slotSequence(ByteString key) {
    return sequenceAfter(SLOT_PREFIX, key);
  }

  /** The sequence ending a key of {@link #SLOT_PREFIX}, {@link #CERTIFY_PREFIX} or {@link #PREPARED_PREFIX}. */
  static long sequenceAfter(ByteString prefix, ByteString key) {
    return key.substring(prefix.size()).asReadOnlyByteBuffer().getLong();
  }

  private static ByteString ascii(String s) {
    return ByteString.copyFrom(s, StandardCharsets.US_ASCII);
  }
}
