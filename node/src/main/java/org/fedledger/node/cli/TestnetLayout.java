package org.fedledger.node.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.proto.ChainParameters;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;

/**
 * The files of a local testnet: {@code genesis.json}, {@code admin.key} and per validator
 * {@code node<i>/node.properties} and {@code node<i>/validator.key}; peer ports from the base
 * port, gRPC ports at +100, metrics ports at +200.
 */
public record TestnetLayout(Path dir, int validators, String host, int basePort) {
  /** The genesis file. */
  public Path genesis() {
    return dir.resolve("genesis.json");
  }

  /** The admin key file (an ADMIN in the genesis registry). */
  public Path adminKey() {
    return dir.resolve("admin.key");
  }

  /** Validator {@code i}'s directory. */
  public Path nodeDir(int i) {
    return dir.resolve("node" + i);
  }

  /** Validator {@code i}'s config file. */
  public Path config(int i) {
    return nodeDir(i).resolve("node.properties");
  }

  /** Validator {@code i}'s gRPC address. */
  public String rpcAddress(int i) {
    return host + ":" + (basePort + 100 + i);
  }

  /** Validator {@code i}'s peer address. */
  public String peerAddress(int i) {
    return host + ":" + (basePort + i);
  }

  /** Validator {@code i}'s metrics address. */
  public String metricsAddress(int i) {
    return host + ":" + (basePort + 200 + i);
  }

  /**
   * Creates a testnet in {@code dir} (which must be absent or empty).
   *
   * @throws IllegalArgumentException for a bad argument or a non-empty directory
   */
  public static TestnetLayout create(Path dir, int validators, String chainId, String host, int basePort,
      int blockTxMax) {
    if (validators < 1 || (validators - 1) % 3 != 0) {
      throw new IllegalArgumentException("--validators must be 3f+1 (1, 4, 7, ...), got " + validators);
    }
    if (basePort < 1024 || basePort + 200 + validators > 65535) {
      throw new IllegalArgumentException("--base-port must leave room for 3 port ranges, got " + basePort);
    }
    requireEmpty(dir);
    TestnetLayout layout = new TestnetLayout(dir, validators, host, basePort);
    SecureRandom random = new SecureRandom();
    Genesis.Builder g = Genesis.newBuilder().setChainId(chainId).setGenesisTimeMillis(System.currentTimeMillis())
        .setParameters(ChainParameters.newBuilder().setBlockTxMax(blockTxMax));
    try {
      Files.createDirectories(dir);
      for (int i = 0; i < validators; i++) {
        Files.createDirectories(layout.nodeDir(i));
        KeyPair key = Ed25519.generate(random);
        KeyFile.write(layout.nodeDir(i).resolve("validator.key"), key);
        g.addValidators(GenesisValidator.newBuilder().setIndex(i).setId("validator-" + i)
            .setPublicKey(key.publicKey()).setPeerAddress(layout.peerAddress(i)).setRpcAddress(layout.rpcAddress(i)));
      }
      KeyPair admin = Ed25519.generate(random);
      KeyFile.write(layout.adminKey(), admin);
      g.addAdmins(GenesisAdmin.newBuilder().setName("admin").setPublicKey(admin.publicKey()));
      Genesis genesis = g.build();
      Chain.of(genesis); // refuse to write a genesis this version would not load
      GenesisFile.write(layout.genesis(), genesis);
      for (int i = 0; i < validators; i++) {
        Map<String, String> values = new TreeMap<>();
        values.put("genesis.file", "../genesis.json");
        values.put("key.file", "validator.key");
        values.put("data.dir", "data");
        values.put("metrics.listen", layout.metricsAddress(i));
        Files.writeString(layout.config(i), NodeConfigFile.render(
            "FedLedger validator " + i + " of a local testnet (keys: see NodeConfigFile for every key and default)",
            values), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create testnet in " + dir + ": " + e.getMessage(), e);
    }
    return layout;
  }

  private static void requireEmpty(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " exists and is not a directory");
    }
    try (Stream<Path> s = Files.list(dir)) {
      if (s.findAny().isPresent()) {
        throw new IllegalArgumentException(dir + " is not empty; remove it or choose another --dir");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }
}
