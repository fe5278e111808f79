/**
 * The validator-to-validator transport: {@link org.fedledger.node.net.PeerTransport}, the port
 * the node calls, and {@link org.fedledger.node.net.NettyPeerTransport}, its adapter over TCP
 * with Netty. Payloads are opaque bytes (serialized consensus messages); this package never
 * parses them.
 *
 * <h2>Protocol</h2>
 * Frames are {@code length:u32 | kind:u8 | body} (layout and handshake messages in
 * {@code fedledger/v1/peer.proto}). On connect both sides send HELLO (genesis hash, own index,
 * own public key, 32 fresh random bytes); on the other's HELLO each sends AUTH, an Ed25519
 * signature by its genesis validator key over {@code PeerAuthStatement} (domain tag, genesis
 * hash, signer and verifier index, the verifier's challenge and its own). A connection carries
 * payloads only after the peer's AUTH verifies against the genesis key of the index it claims.
 * The lower index dials the higher one, so each pair has exactly one connection; a newer
 * authenticated connection from the same peer replaces the older one.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>{@code onMessage(from, ...)} reports the validator whose key authenticated that
 *       connection, never a claim made inside a frame.</li>
 *   <li>Refused: a key that is not the genesis key of the claimed index, another genesis,
 *       a recorded handshake (the verifier's challenge is fresh per connection), a higher
 *       index dialing a lower one, a frame over the limit (1 KiB before authentication,
 *       {@code frameBytesMax} after), any frame of the wrong kind. Each refusal closes the
 *       connection and is counted by {@link org.fedledger.node.net.CloseReason}.</li>
 *   <li>Outbound memory per peer is bounded by the write-buffer high-water mark plus one frame:
 *       a frame for a peer that is not connected or not writable is dropped and counted by
 *       {@link org.fedledger.node.net.DropReason}; {@code send} never blocks, so a slow or
 *       dead peer never delays the others. Consensus retransmits what matters.</li>
 *   <li>Frames from one sending thread to one peer arrive in order while the connection lasts.</li>
 * </ul>
 *
 * <h2>Threat model</h2>
 * Why a handshake and not mutual TLS: validators are identified by Ed25519 keys in genesis;
 * TLS would need X.509 certificates bound to those keys, their issuance and a custom trust
 * manager checking the certificate key against genesis, for the same authentication the
 * handshake gives with the code we already trust (ledger.crypto). What the handshake does
 * <em>not</em> give:
 * <ul>
 *   <li>No confidentiality: payloads travel in clear. Consensus messages are not secret, but
 *       transactions inside proposed blocks are readable by anyone on the path.</li>
 *   <li>No integrity or authenticity after the handshake: the stream is not MACed, so an
 *       active attacker on the network path (who can inject into or hijack the TCP
 *       connection) can insert, alter or drop frames that will be attributed to the
 *       authenticated peer. Consensus still verifies the signatures on the messages that are
 *       signed (votes, certificates, checkpoints), so forged frames can cause wasted work,
 *       dropped or delayed messages and view changes, not a forged commit; any message the
 *       consensus protocol accepts on the strength of "it came from peer i" alone is exposed.</li>
 *   <li>Denial of service by an unauthenticated host is limited (1 KiB pre-auth frames, a
 *       handshake timeout, counted refusals) but not prevented: there is no per-address rate limit.</li>
 * </ul>
 * In production, run validator links over an encrypted, authenticated channel: a WireGuard or
 * IPsec mesh between validators, or a TLS tunnel (stunnel, a service mesh) with pinned
 * certificates, and firewall the peer port to the validator addresses. Adding TLS inside this
 * transport (a Netty {@code SslHandler} in front of the frame decoder, with the handshake
 * above kept to bind the TLS session to the genesis keys by signing its exporter value) is the
 * planned hardening.
 *
 * <h2>I/O</h2>
 * Linux's native epoll transport where its library loads, else NIO ({@link
 * org.fedledger.node.net.PeerIo}; {@code -Dio.netty.transport.noNative=true} forces NIO); both put
 * the same bytes on the wire. A broadcast encodes its frame once into one direct buffer that every
 * peer's channel writes; flushes are consolidated to one per channel per event-loop task.
 *
 * <p>Threads: listener callbacks run on Netty I/O threads and must only enqueue. Must not be
 * imported by {@code consensus}, {@code ledger} or {@code contracts}; imports nothing of
 * {@code node} outside this package.
 */
package org.fedledger.node.net;
