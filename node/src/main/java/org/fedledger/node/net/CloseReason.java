package org.fedledger.node.net;

/** Why the transport refused or closed a connection. */
public enum CloseReason {
  /** The peer speaks another version of the peer protocol. */
  PROTOCOL_VERSION,
  /** The peer runs another chain (another genesis hash). */
  WRONG_GENESIS,
  /** The peer claims an index that is not another genesis validator. */
  UNKNOWN_VALIDATOR,
  /** The peer's public key is not the genesis key of the index it claims. */
  UNKNOWN_KEY,
  /** A higher index dialed a lower one: only the lower index dials, so each pair has one connection. */
  WRONG_DIRECTION,
  /** The validator answering a dial is not the one dialed (a stale or wrong peer address). */
  UNEXPECTED_VALIDATOR,
  /** The handshake signature does not verify: no key possession, or a replayed handshake. */
  BAD_SIGNATURE,
  /** The handshake did not finish in time. */
  HANDSHAKE_TIMEOUT,
  /** A frame was empty, of an unknown kind, out of order or not decodable. */
  MALFORMED_FRAME,
  /** A frame was longer than the maximum frame size. */
  OVERSIZED_FRAME,
  /** Nothing arrived for longer than the idle timeout (pings stopped: the peer is gone). */
  IDLE_TIMEOUT,
  /** A newer authenticated connection from the same peer replaced this one. */
  REPLACED
}
