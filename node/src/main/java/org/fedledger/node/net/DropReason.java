package org.fedledger.node.net;

/** Why an outbound payload frame was dropped instead of sent. */
public enum DropReason {
  /** No authenticated connection to the peer at the time of sending. */
  NOT_CONNECTED,
  /** The peer's outbound buffer was above its high-water mark: the peer is slow or dead. */
  BACKPRESSURE,
  /** The payload is larger than the maximum frame size. */
  OVERSIZED,
  /** The frame was queued but its connection closed before it was written. */
  CONNECTION_CLOSED
}
