package org.fedledger.node.net;

import io.netty.channel.Channel;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The link to one other validator: its authenticated channel (at most one in use), its
 * counters and, when this side dials it, the dialing state.
 */
final class Peer {
  final int validator;
  final boolean dialedByUs;
  /** The authenticated channel in use, or null. Swapped only by compare-and-set. */
  final AtomicReference<Channel> channel = new AtomicReference<>();

  final LongAdder connectAttempts = new LongAdder();
  final LongAdder framesSent = new LongAdder();
  final LongAdder bytesSent = new LongAdder();
  final LongAdder framesReceived = new LongAdder();
  final LongAdder bytesReceived = new LongAdder();
  private final AtomicLongArray dropped = new AtomicLongArray(DropReason.values().length);

  // Dialing state, guarded by this.
  /** Channel of the dial in progress or in use, or null when a reconnect is pending or none runs. */
  Channel dialing;
  /** The scheduled reconnect, or null. */
  Future<?> reconnect;
  /** Consecutive dials that did not end authenticated. */
  int failures;

  Peer(int validator, boolean dialedByUs) {
    this.validator = validator;
    this.dialedByUs = dialedByUs;
  }

  void drop(DropReason reason) {
    dropped.incrementAndGet(reason.ordinal());
  }

  PeerStatus status() {
    Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      drops.put(r, dropped.get(r.ordinal()));
    }
    return new PeerStatus(validator, channel.get() != null, connectAttempts.sum(), framesSent.sum(),
        bytesSent.sum(), framesReceived.sum(), bytesReceived.sum(), drops);
  }
}
