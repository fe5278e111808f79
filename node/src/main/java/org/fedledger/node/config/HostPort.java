package org.fedledger.node.config;

import java.net.InetSocketAddress;

/** A {@code host:port} address as written in config and genesis files. */
public record HostPort(String host, int port) {
  /** Checks the port range and that the host is not empty. */
  public HostPort {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host is empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1..65535, got " + port);
    }
  }

  /**
   * Parses {@code host:port} ({@code [v6-address]:port} for IPv6).
   *
   * @throws IllegalArgumentException saying what is wrong with {@code text}
   */
  public static HostPort parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("expected host:port, got '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected host:port with a numeric port, got '" + text + "'");
    }
    try {
      return new HostPort(host, port);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "': " + e.getMessage());
    }
  }

  /** An unresolved socket address (resolved when bound or connected). */
  public InetSocketAddress socketAddress() {
    return InetSocketAddress.createUnresolved(host, port);
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
