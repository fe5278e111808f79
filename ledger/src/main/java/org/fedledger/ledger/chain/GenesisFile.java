package org.fedledger.ledger.chain;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedledger.proto.Genesis;

/**
 * The genesis file: a {@link Genesis} in protobuf's JSON mapping (field names in lowerCamelCase
 * or as in the .proto, bytes in base64). Unknown fields are refused so that a typo cannot
 * silently fall back to a default.
 */
public final class GenesisFile {
  private GenesisFile() {}

  /**
   * Reads and validates the genesis file at {@code path}.
   *
   * @throws IllegalArgumentException naming the path and the problem (parse error or invalid field)
   * @throws UncheckedIOException when the file cannot be read
   */
  public static Chain load(Path path) {
    String json;
    try {
      json = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read genesis file " + path + ": " + e.getMessage(), e);
    }
    try {
      return Chain.of(parse(json));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("genesis file " + path + ": " + e.getMessage(), e);
    }
  }

  /** Parses genesis JSON without validating it. */
  public static Genesis parse(String json) {
    Genesis.Builder b = Genesis.newBuilder();
    try {
      JsonFormat.parser().merge(json, b);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new IllegalArgumentException("not a valid genesis JSON document: " + e.getMessage(), e);
    }
    return b.build();
  }

  /** Renders {@code genesis} as JSON (proto field names, defaults omitted). */
  public static String toJson(Genesis genesis) {
    try {
      return JsonFormat.printer().preservingProtoFieldNames().print(genesis);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a Genesis message always prints", e);
    }
  }

  /** Writes {@code genesis} as JSON to {@code path}. */
  public static void write(Path path, Genesis genesis) {
    try {
      Files.writeString(path, toJson(genesis) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write genesis file " + path + ": " + e.getMessage(), e);
    }
  }
}
