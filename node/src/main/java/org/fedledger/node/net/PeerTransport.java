package org.fedledger.node.net;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;

/**
 * The node's port to the other validators: opaque payloads (serialized consensus messages) to
 * and from validators named by their genesis index. Delivery is best effort: a frame for a peer
 * that is not connected or not keeping up is dropped and counted, never buffered without bound,
 * because the consensus protocol retransmits and recovers.
 *
 * <p>Frames sent from one thread to one peer arrive in the order sent, as long as the
 * connection lasts. {@link #send} and {@link #broadcast} never block.
 */
public interface PeerTransport extends AutoCloseable {

  /**
   * Receives what arrives. Every method is called from a transport I/O thread: it must return
   * quickly (the node enqueues an event and returns), and must not block or call {@link #close}.
   */
  interface Listener {
    /** A payload from the authenticated validator {@code fromValidator}. */
    void onMessage(int fromValidator, ByteString payload);

    /** A new authenticated connection to {@code validator} is now the one in use. */
    default void onPeerConnected(int validator) {}

    /** The connection to {@code validator} closed and none replaced it. */
    default void onPeerDisconnected(int validator) {}
  }

  /**
   * Binds the listening socket and starts dialing the peers this validator dials.
   *
   * @throws IllegalStateException when already started or closed, or the address cannot be bound
   */
  void start(Listener listener);

  /**
   * Queues {@code payload} for validator {@code validator}; false (and counted in
   * {@link PeerStatus#framesDropped()}) when it was dropped.
   *
   * @throws IllegalArgumentException when {@code validator} is not another genesis validator
   */
  boolean send(int validator, ByteString payload);

  /** Sends {@code payload} to every other validator; returns to how many it was queued. */
  int broadcast(ByteString payload);

  /** The status of every other validator's link, ordered by index. */
  List<PeerStatus> peerStatus();

  /** How many other validators have an authenticated connection now (the "peers connected" gauge). */
  default int connectedPeerCount() {
    int n = 0;
    for (PeerStatus s : peerStatus()) {
      if (s.connected()) {
        n++;
      }
    }
    return n;
  }

  /** Connections this transport closed or refused, by reason, since it started. */
  Map<CloseReason, Long> closedConnections();

  /** Closes every connection and stops dialing; waits a bounded time. Idempotent. */
  @Override
  void close();
}
