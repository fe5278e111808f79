package org.fedledger.ledger.crypto;

import com.google.protobuf.ByteString;
import java.util.HexFormat;

/** Hex rendering of keys and other byte strings, for logs and the CLI. */
public final class Keys {
  private Keys() {}

  /** Lower-case hex of {@code bytes}. */
  public static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  /** The first 8 hex characters of {@code bytes}, for logs. */
  public static String shortHex(ByteString bytes) {
    String h = hex(bytes);
    return h.length() <= 8 ? h : h.substring(0, 8);
  }

  /** Parses hex into bytes; throws IllegalArgumentException naming the problem. */
  public static ByteString fromHex(String hex) {
    return ByteString.copyFrom(HexFormat.of().parseHex(hex.trim()));
  }
}
