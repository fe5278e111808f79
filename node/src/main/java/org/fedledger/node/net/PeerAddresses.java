package org.fedledger.node.net;

import java.net.InetSocketAddress;
import org.fedledger.ledger.chain.Chain;

/** Peer addresses as genesis writes them: {@code host:port}, IPv6 as {@code [addr]:port}. */
public final class PeerAddresses {
  private PeerAddresses() {}

  /**
   * Parses {@code host:port} without resolving the host.
   *
   * @throws IllegalArgumentException naming the address when it is not host:port with a port in 0..65535
   */
  public static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("peer address '" + hostPort + "' is not host:port");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("peer address '" + hostPort + "' has no numeric port", e);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("peer address '" + hostPort + "' has port out of range 0..65535");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** Where to dial validator {@code validator}: its genesis {@code peer_address}, resolved at connect time. */
  static InetSocketAddress dialAddress(Chain chain, int validator) {
    return parse(chain.validators().get(validator).getPeerAddress());
  }

  /** Where validator {@code validator} listens: its genesis {@code peer_address}, resolved now. */
  static InetSocketAddress listenAddress(Chain chain, int validator) {
    InetSocketAddress a = dialAddress(chain, validator);
    InetSocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
    if (resolved.isUnresolved()) {
      throw new IllegalArgumentException("validator " + validator + " peer_address host '" + a.getHostString()
          + "' does not resolve");
    }
    return resolved;
  }
}
