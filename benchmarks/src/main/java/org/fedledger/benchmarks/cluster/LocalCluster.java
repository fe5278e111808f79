package org.fedledger.benchmarks.cluster;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.fedledger.benchmarks.Directories;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.chain.GenesisFile;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.KeyFile;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.node.config.NodeConfigFile;
import org.fedledger.node.exec.Validator;
import org.fedledger.proto.ChainParameters;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;

/**
 * Four validators started in this JVM from files written to a fresh temporary directory:
 * genesis (with the chain parameters asked for and {@code admins} seeded admin keys), one key
 * and one config file per validator, RocksDB data directories, peer and gRPC ports on
 * 127.0.0.1. {@link #close} stops the validators and removes the directory.
 *
 * <p>Keys come from fixed seeds, so two runs sign the same transactions; the genesis time is
 * fixed too. Only the ports and the directory differ between runs.
 */
public final class LocalCluster implements AutoCloseable {
  /** Validators in the cluster (n = 3f + 1 with f = 1). */
  public static final int VALIDATORS = 4;
  /** Commits needed for a quorum (2f + 1). */
  public static final int QUORUM = 3;
  /**
   * System property naming the directory in which the temporary cluster directory is made
   * (default: the JVM's {@code java.io.tmpdir}); e.g. {@code /dev/shm} to take the disk's
   * fsync out of the measurement when looking for what bounds a figure.
   */
  public static final String DIR_PROPERTY = "fedledger.bench.dir";
  /**
   * Prefix of system properties that override node config keys for every validator, on top
   * of the benchmark's own overrides: {@code -Dfedledger.bench.node.consensus.window_blocks=32}
   * sets {@code consensus.window_blocks}. For experiments; a figure measured with one says so.
   */
  public static final String NODE_PROPERTY_PREFIX = "fedledger.bench.node.";
  /** The chain id of every benchmark cluster. */
  public static final String CHAIN_ID = "bench-cluster";

  private final Path dir;
  private final List<KeyPair> admins;
  private final List<Validator> validators = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  private LocalCluster(Path dir, List<KeyPair> admins) {
    this.dir = dir;
    this.admins = List.copyOf(admins);
  }

  /**
   * Writes the files and starts the four validators; returns once every validator has all
   * its peers connected.
   *
   * @param parameters chain parameters for the genesis (e.g. {@code block_tx_max})
   * @param admins how many admin keys the genesis registers (signers of the workloads)
   * @param overrides node config keys (see {@code NodeConfigFile}) applied to every validator
   */
  public static LocalCluster start(ChainParameters parameters, int admins, Map<String, String> overrides) {
    Path dir;
    try {
      String parent = System.getProperty(DIR_PROPERTY, "");
      dir = parent.isEmpty() ? Files.createTempDirectory("fedledger-cluster-")
          : Files.createTempDirectory(Path.of(parent), "fedledger-cluster-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory: " + e.getMessage(), e);
    }
    List<KeyPair> adminKeys = new ArrayList<>();
    for (int a = 0; a < admins; a++) {
      adminKeys.add(key(1_000 + a));
    }
    LocalCluster cluster = new LocalCluster(dir, adminKeys);
    try {
      Map<String, String> all = new TreeMap<>(overrides);
      for (String name : System.getProperties().stringPropertyNames()) {
        if (name.startsWith(NODE_PROPERTY_PREFIX)) {
          all.put(name.substring(NODE_PROPERTY_PREFIX.length()), System.getProperty(name));
        }
      }
      cluster.writeAndStart(parameters, all);
      cluster.awaitConnected(60_000);
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void writeAndStart(ChainParameters parameters, Map<String, String> overrides) {
    int base = freeBasePort();
    Genesis.Builder g = Genesis.newBuilder().setChainId(CHAIN_ID).setGenesisTimeMillis(1_700_000_000_000L)
        .setParameters(parameters);
    try {
      for (int i = 0; i < VALIDATORS; i++) {
        Path node = dir.resolve("node" + i);
        Files.createDirectories(node);
        KeyPair key = key(i + 1);
        KeyFile.write(node.resolve("validator.key"), key);
        g.addValidators(GenesisValidator.newBuilder().setIndex(i).setId("validator-" + i)
            .setPublicKey(key.publicKey()).setPeerAddress("127.0.0.1:" + (base + i))
            .setRpcAddress("127.0.0.1:" + (base + 100 + i)));
      }
      for (int a = 0; a < admins.size(); a++) {
        g.addAdmins(GenesisAdmin.newBuilder().setName(adminName(a)).setPublicKey(admins.get(a).publicKey()));
      }
      Genesis genesis = g.build();
      Chain.of(genesis);
      GenesisFile.write(dir.resolve("genesis.json"), genesis);
      for (int i = 0; i < VALIDATORS; i++) {
        Map<String, String> values = new TreeMap<>();
        values.put("genesis.file", "../genesis.json");
        values.put("key.file", "validator.key");
        values.put("data.dir", "data");
        Path config = dir.resolve("node" + i).resolve("node.properties");
        Files.writeString(config, NodeConfigFile.render("benchmark validator " + i, values), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the cluster files in " + dir + ": " + e.getMessage(), e);
    }
    for (int i = 0; i < VALIDATORS; i++) {
      validators.add(Validator.start(NodeConfigFile.load(dir.resolve("node" + i).resolve("node.properties"),
          overrides)));
      channels.add(NettyChannelBuilder.forAddress("127.0.0.1", validators.get(i).rpcPort()).usePlaintext()
          .directExecutor().build());
    }
  }

  /** Validator {@code i}. */
  public Validator validator(int i) {
    return validators.get(i);
  }

  /** A plaintext gRPC channel to validator {@code i} (callbacks run on the I/O thread). */
  public ManagedChannel channel(int i) {
    return channels.get(i);
  }

  /** The admin keys registered in the genesis, in order. */
  public List<KeyPair> admins() {
    return admins;
  }

  /** The genesis name of admin {@code a}. */
  public static String adminName(int a) {
    return "admin-" + a;
  }

  /** The key from seed {@code i} (validators use 1..4, admins 1000.., workloads choose others). */
  public static KeyPair key(int i) {
    byte[] seed = new byte[Ed25519.SECRET_KEY_LENGTH];
    seed[0] = (byte) i;
    seed[1] = (byte) (i >> 8);
    seed[2] = (byte) (i >> 16);
    seed[3] = (byte) (i >> 24);
    seed[31] = 0x42;
    return Ed25519.fromSeed(seed);
  }

  private void awaitConnected(long timeoutMillis) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      boolean all = true;
      for (int i = 0; i < VALIDATORS; i++) {
        var status = org.fedledger.proto.api.LedgerApiGrpc.newBlockingStub(channels.get(i))
            .withDeadlineAfter(5, TimeUnit.SECONDS).getStatus(org.fedledger.proto.api.GetStatusRequest.getDefaultInstance());
        all &= status.getPeersList().stream().allMatch(p -> p.getConnected());
      }
      if (all) {
        return;
      }
      if (System.nanoTime() > end) {
        throw new IllegalStateException("validators not all connected to each other after " + timeoutMillis + " ms");
      }
      sleepMillis(20);
    }
  }

  static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * Submits {@code txs} to validator 0 one by one and waits until each has a receipt there.
   *
   * @throws IllegalStateException if one is refused or rejected, or not committed in time
   */
  public void submitAndAwait(List<org.fedledger.proto.Envelope> txs, long timeoutMillis) {
    var stub = org.fedledger.proto.api.LedgerApiGrpc.newBlockingStub(channels.get(0));
    for (org.fedledger.proto.Envelope e : txs) {
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).submitTransaction(
          org.fedledger.proto.api.SubmitTransactionRequest.newBuilder().setEnvelope(e).build());
    }
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    for (org.fedledger.proto.Envelope e : txs) {
      org.fedledger.ledger.crypto.Hash id = org.fedledger.ledger.crypto.Hash.sha256(e.getBody());
      while (true) {
        var receipt = validators.get(0).store().receipt(id);
        if (receipt.isPresent()) {
          if (receipt.get().getStatus() != org.fedledger.proto.ReceiptStatus.SUCCESS) {
            throw new IllegalStateException("setup transaction " + id.shortHex() + " rejected: "
                + receipt.get().getCode() + " " + receipt.get().getReason());
          }
          break;
        }
        if (System.nanoTime() > end) {
          throw new IllegalStateException("setup transaction " + id.shortHex() + " not committed within "
              + timeoutMillis + " ms");
        }
        sleepMillis(2);
      }
    }
  }

  /**
   * Checks that every receipt of blocks {@code from..to} at validator 0 is a SUCCESS, so that
   * a benchmark never reports refused work as throughput; returns how many it checked.
   */
  public long requireSuccess(long from, long to) {
    long n = 0;
    for (long h = from; h <= to; h++) {
      for (org.fedledger.proto.Receipt r : validators.get(0).store().receipts(h)) {
        if (r.getStatus() != org.fedledger.proto.ReceiptStatus.SUCCESS) {
          throw new IllegalStateException("transaction " + r.getIndex() + " of block " + h + " was rejected: "
              + r.getCode() + " " + r.getReason());
        }
        n++;
      }
    }
    return n;
  }

  /** Stops the validators, closes the channels and removes the directory. Idempotent. */
  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    channels.clear();
    for (Validator v : validators) {
      v.close();
    }
    validators.clear();
    Directories.deleteTree(dir);
  }

  /** A base port whose ranges base+i and base+100+i are free on loopback. */
  private static int freeBasePort() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(System.nanoTime());
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + random.nextInt(30_000);
      if (free(base) && free(base + 100)) {
        return base;
      }
    }
    throw new IllegalStateException("no free range of loopback ports found");
  }

  private static boolean free(int from) {
    for (int i = 0; i < VALIDATORS; i++) {
      try (ServerSocket s = new ServerSocket(from + i, 1, InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(true);
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }
}
