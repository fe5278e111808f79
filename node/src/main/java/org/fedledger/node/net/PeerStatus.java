package org.fedledger.node.net;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of the link to one other validator, for metrics and the node status.
 *
 * @param validator the peer's genesis index
 * @param connected whether an authenticated connection is up
 * @param connectAttempts connections this side dialed to the peer since start (0 when the peer dials us)
 * @param framesSent payload frames written to the connection
 * @param bytesSent payload bytes of those frames
 * @param framesReceived payload frames received from the peer
 * @param bytesReceived payload bytes of those frames
 * @param framesDropped outbound payload frames dropped, by reason (every reason present)
 */
public record PeerStatus(
    int validator,
    boolean connected,
    long connectAttempts,
    long framesSent,
    long bytesSent,
    long framesReceived,
    long bytesReceived,
    Map<DropReason, Long> framesDropped) {

  /** Copies {@code framesDropped} into an unmodifiable map in reason order. */
  public PeerStatus {
    framesDropped = Collections.unmodifiableMap(new EnumMap<>(framesDropped));
  }

  /** All dropped frames, whatever the reason. */
  public long framesDroppedTotal() {
    long total = 0;
    for (long n : framesDropped.values()) {
      total += n;
    }
    return total;
  }
}
