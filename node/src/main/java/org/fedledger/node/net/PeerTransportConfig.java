package org.fedledger.node.net;

/**
 * Tuning of the peer transport. {@link #defaults()} suits a LAN or a loopback testnet.
 *
 * @param frameBytesMax largest payload of one frame, both ways; a bigger inbound frame closes
 *     the connection, a bigger outbound payload is dropped (default 32 MiB, above the 16 MiB block limit)
 * @param writeBufferLowBytes a peer becomes writable again when its queued bytes fall below this
 * @param writeBufferHighBytes above this many queued bytes a peer is not writable and frames to it
 *     are dropped; so at most this plus one frame is buffered per peer
 * @param reconnectInitialMillis first reconnect delay; doubles after each failure
 * @param reconnectMaxMillis cap of the reconnect delay (a random 50-100% of it is used: jitter)
 * @param handshakeTimeoutMillis a connection not authenticated by then is closed
 * @param pingIntervalMillis a ping is sent when nothing was written for this long
 * @param idleTimeoutMillis a connection on which nothing arrived for this long is closed
 * @param shutdownTimeoutMillis bound on each wait of {@link PeerTransport#close()}
 */
public record PeerTransportConfig(
    int frameBytesMax,
    int writeBufferLowBytes,
    int writeBufferHighBytes,
    long reconnectInitialMillis,
    long reconnectMaxMillis,
    long handshakeTimeoutMillis,
    long pingIntervalMillis,
    long idleTimeoutMillis,
    long shutdownTimeoutMillis) {

  /** Largest supported {@link #frameBytesMax}: 1 GiB. */
  public static final int FRAME_BYTES_MAX_LIMIT = 1 << 30;

  /** Checks every field, naming the offending one. */
  public PeerTransportConfig {
    require(frameBytesMax > 0 && frameBytesMax <= FRAME_BYTES_MAX_LIMIT,
        "frameBytesMax must be in 1.." + FRAME_BYTES_MAX_LIMIT + ", got " + frameBytesMax);
    require(writeBufferLowBytes > 0, "writeBufferLowBytes must be positive, got " + writeBufferLowBytes);
    require(writeBufferHighBytes >= writeBufferLowBytes,
        "writeBufferHighBytes " + writeBufferHighBytes + " must be >= writeBufferLowBytes " + writeBufferLowBytes);
    require(reconnectInitialMillis > 0, "reconnectInitialMillis must be positive, got " + reconnectInitialMillis);
    require(reconnectMaxMillis >= reconnectInitialMillis,
        "reconnectMaxMillis " + reconnectMaxMillis + " must be >= reconnectInitialMillis " + reconnectInitialMillis);
    require(handshakeTimeoutMillis > 0, "handshakeTimeoutMillis must be positive, got " + handshakeTimeoutMillis);
    require(pingIntervalMillis > 0, "pingIntervalMillis must be positive, got " + pingIntervalMillis);
    require(idleTimeoutMillis > pingIntervalMillis,
        "idleTimeoutMillis " + idleTimeoutMillis + " must be > pingIntervalMillis " + pingIntervalMillis);
    require(shutdownTimeoutMillis > 0, "shutdownTimeoutMillis must be positive, got " + shutdownTimeoutMillis);
  }

  /** 32 MiB frames, 8/16 MiB water marks, reconnect 100 ms doubling to 5 s, 5 s handshake, ping 2 s, idle 15 s. */
  public static PeerTransportConfig defaults() {
    return new PeerTransportConfig(32 << 20, 8 << 20, 16 << 20, 100, 5_000, 5_000, 2_000, 15_000, 5_000);
  }

  /** A copy with another {@link #frameBytesMax}. */
  public PeerTransportConfig withFrameBytesMax(int bytes) {
    return new PeerTransportConfig(bytes, writeBufferLowBytes, writeBufferHighBytes, reconnectInitialMillis,
        reconnectMaxMillis, handshakeTimeoutMillis, pingIntervalMillis, idleTimeoutMillis, shutdownTimeoutMillis);
  }

  /** A copy with other write-buffer water marks. */
  public PeerTransportConfig withWriteBuffer(int lowBytes, int highBytes) {
    return new PeerTransportConfig(frameBytesMax, lowBytes, highBytes, reconnectInitialMillis,
        reconnectMaxMillis, handshakeTimeoutMillis, pingIntervalMillis, idleTimeoutMillis, shutdownTimeoutMillis);
  }

  /** A copy with another reconnect back-off. */
  public PeerTransportConfig withReconnect(long initialMillis, long maxMillis) {
    return new PeerTransportConfig(frameBytesMax, writeBufferLowBytes, writeBufferHighBytes, initialMillis,
        maxMillis, handshakeTimeoutMillis, pingIntervalMillis, idleTimeoutMillis, shutdownTimeoutMillis);
  }

  /** The reconnect delay after {@code failures} consecutive failures, before jitter. */
  long backoffMillis(int failures) {
    long delay = reconnectInitialMillis;
    for (int i = 0; i < failures && delay < reconnectMaxMillis; i++) {
      delay *= 2;
    }
    return Math.min(delay, reconnectMaxMillis);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("peer transport config: " + message);
    }
  }
}
