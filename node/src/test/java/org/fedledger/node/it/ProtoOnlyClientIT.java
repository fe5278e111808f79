package org.fedledger.node.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A client built only from the {@code .proto} files: protoc turns them into a descriptor set,
 * messages are {@link DynamicMessage}s, calls go through gRPC's generic {@link ClientCalls},
 * signatures come from the JDK's Ed25519. No FedLedger class is used on the client side (the
 * validators it talks to are started by the shared fixture).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtoOnlyClientIT {
  private Path dir;
  private InProcessCluster cluster;
  private Map<String, Descriptor> types;
  private ServiceDescriptor ledgerApi;
  private ManagedChannel channel;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createDirectories(Path.of("target", "it", "proto-only-" + System.currentTimeMillis()));
    cluster = new InProcessCluster(dir.resolve("net"), "proto-only-it");
    FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(compileProtos()));
    types = new HashMap<>();
    Map<String, FileDescriptorProto> byName = new HashMap<>();
    for (FileDescriptorProto f : set.getFileList()) {
      byName.put(f.getName(), f);
    }
    Map<String, FileDescriptor> built = new HashMap<>();
    FileDescriptor api = build("fedledger/v1/node_api.proto", byName, built);
    for (FileDescriptor f : built.values()) {
      for (Descriptor d : f.getMessageTypes()) {
        types.put(d.getFullName(), d);
      }
    }
    ledgerApi = api.findServiceByName("LedgerApi");
    channel = NettyChannelBuilder.forAddress("127.0.0.1", cluster.rpcPort(2)).usePlaintext().build();
  }

  @AfterAll
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Runs protoc (from the local Maven repository) over the .proto sources into a descriptor set. */
  private Path compileProtos() throws Exception {
    Path protoc = dir.resolve("protoc");
    Files.copy(Path.of(System.getProperty("protoc.exe")), protoc, StandardCopyOption.REPLACE_EXISTING);
    assertThat(protoc.toFile().setExecutable(true)).isTrue();
    Path out = dir.resolve("api.desc");
    Process p = new ProcessBuilder(protoc.toString(), "--include_imports", "--descriptor_set_out=" + out,
        "-I" + System.getProperty("proto.dir"), "fedledger/v1/node_api.proto").redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    return out;
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
      Map<String, FileDescriptor> built) throws Exception {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    FileDescriptor[] deps = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < deps.length; i++) {
      deps[i] = build(proto.getDependency(i), protos, built);
    }
    FileDescriptor f = FileDescriptor.buildFrom(proto, deps);
    built.put(name, f);
    return f;
  }

  private DynamicMessage.Builder message(String type) {
    return DynamicMessage.newBuilder(types.get("fedledger.v1." + type));
  }

  private static DynamicMessage.Builder set(DynamicMessage.Builder b, String field, Object value) {
    return b.setField(b.getDescriptorForType().findFieldByName(field), value);
  }

  private static Object get(DynamicMessage m, String field) {
    return m.getField(m.getDescriptorForType().findFieldByName(field));
  }

  private DynamicMessage call(String method, DynamicMessage request) {
    MethodDescriptor m = ledgerApi.findMethodByName(method);
    io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> md = io.grpc.MethodDescriptor
        .<DynamicMessage, DynamicMessage>newBuilder()
        .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(ledgerApi.getFullName(), m.getName()))
        .setRequestMarshaller(new Marshaller(m.getInputType()))
        .setResponseMarshaller(new Marshaller(m.getOutputType()))
        .build();
    return ClientCalls.blockingUnaryCall(channel, md, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), request);
  }

  private record Marshaller(Descriptor type) implements io.grpc.MethodDescriptor.Marshaller<DynamicMessage> {
    @Override
    public InputStream stream(DynamicMessage value) {
      return value.toByteString().newInput();
    }

    @Override
    public DynamicMessage parse(InputStream stream) {
      try {
        return DynamicMessage.parseFrom(type, stream);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Test
  void submitsATransactionAndReadsItsReceiptAndBlockBack() throws Exception {
    // The admin key file is text: "public-key: <hex>" and "seed: <hex>".
    Map<String, String> key = new HashMap<>();
    for (String line : Files.readAllLines(cluster.layout.adminKey())) {
      int colon = line.indexOf(':');
      if (!line.startsWith("#") && colon > 0) {
        key.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
    }
    byte[] publicKey = HexFormat.of().parseHex(key.get("public-key"));
    PrivateKey secret = KeyFactory.getInstance("Ed25519").generatePrivate(
        new EdECPrivateKeySpec(NamedParameterSpec.ED25519, HexFormat.of().parseHex(key.get("seed"))));

    DynamicMessage genesis = call("GetGenesis", message("GetGenesisRequest").build());
    String chainId = (String) get(genesis, "chain_id");
    // The participant: a fresh JDK Ed25519 key (its X.509 encoding ends with the 32-byte RFC 8032 key).
    byte[] encoded = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
    byte[] participant = java.util.Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
    Descriptor registerType = types.get("fedledger.v1.RegisterParticipant");
    DynamicMessage register = set(set(set(message("RegisterParticipant"), "name", "proto-only-hospital"),
        "public_key", ByteString.copyFrom(participant)),
        "role", registerType.findFieldByName("role").getEnumType().findValueByName("HOSPITAL")).build();
    DynamicMessage tx = set(set(set(set(message("Transaction"), "chain_id", chainId),
        "signer", ByteString.copyFrom(publicKey)), "nonce", 1_000_000L), "register_participant", register).build();
    ByteString body = tx.toByteString();
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(secret);
    signer.update(body.toByteArray());
    DynamicMessage envelope = set(set(set(message("Envelope"), "body", body), "signer", ByteString.copyFrom(publicKey)),
        "signature", ByteString.copyFrom(signer.sign())).build();

    DynamicMessage submitted = call("SubmitTransaction", set(message("SubmitTransactionRequest"), "envelope", envelope).build());
    ByteString txId = (ByteString) get(submitted, "tx_id");
    assertThat(txId).isEqualTo(sha256(body));

    DynamicMessage receiptResponse = call("WaitForCommit",
        set(set(message("WaitForCommitRequest"), "tx_id", txId), "timeout_millis", 60_000L).build());
    DynamicMessage receipt = (DynamicMessage) get(receiptResponse, "receipt");
    assertThat(get(receipt, "status").toString()).isEqualTo("SUCCESS");
    assertThat(get(receipt, "tx_id")).isEqualTo(txId);
    ByteString blockHash = (ByteString) get(receiptResponse, "block_hash");

    DynamicMessage certified = provable(set(message("GetBlockRequest"), "hash", blockHash).build());
    DynamicMessage block = (DynamicMessage) get(certified, "block");
    ByteString header = (ByteString) get(block, "header");
    assertThat(sha256(header)).isEqualTo(blockHash);
    @SuppressWarnings("unchecked")
    List<DynamicMessage> txs = (List<DynamicMessage>) get(block, "transactions");
    assertThat(txs).anySatisfy(e -> assertThat(get(e, "body")).isEqualTo(body));
    long height = assertFinal(genesis, certified);
    // The genesis block has no signatures of its own: proved by the header chain up to a certified block.
    DynamicMessage first = provable(set(message("GetBlockRequest"), "height", 0L).build());
    assertThat((List<?>) get((DynamicMessage) get(first, "certificate"), "signatures")).isEmpty();
    assertThat(first.hasField(first.getDescriptorForType().findFieldByName("proof"))).isTrue();
    assertThat(assertFinal(genesis, first)).isZero();
    assertThat(height).isPositive();
  }

  /**
   * GetBlock until the answer carries signatures or a finality proof: a block at the uncertified
   * tail of the chain has neither until the next certified block commits.
   */
  private DynamicMessage provable(DynamicMessage request) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      DynamicMessage b = call("GetBlock", request);
      boolean signed = !((List<?>) get((DynamicMessage) get(b, "certificate"), "signatures")).isEmpty();
      if (signed || b.hasField(b.getDescriptorForType().findFieldByName("proof")) || System.nanoTime() > deadline) {
        return b;
      }
      Thread.sleep(50);
    }
  }

  /**
   * What a client checks with the .proto files and the JDK alone (see Finality in the ledger for
   * the reference): the block's header is of this chain; if its certificate has signatures, 2f+1
   * distinct genesis validators signed CommitStatement{chain_id, view, height, block_hash} of it;
   * otherwise the proof's headers run height+1.. each naming the previous one's SHA-256 as
   * previous_hash, and the proof's certificate certifies the last of them that way.
   *
   * @return the block's height
   */
  private long assertFinal(DynamicMessage genesis, DynamicMessage certified) throws Exception {
    ByteString header = (ByteString) get((DynamicMessage) get(certified, "block"), "header");
    DynamicMessage h = DynamicMessage.parseFrom(types.get("fedledger.v1.BlockHeader"), header);
    assertThat(get(h, "chain_id")).isEqualTo(get(genesis, "chain_id"));
    long height = (Long) get(h, "height");
    DynamicMessage certificate = (DynamicMessage) get(certified, "certificate");
    if (!((List<?>) get(certificate, "signatures")).isEmpty()) {
      assertCertifies(genesis, certificate, height, sha256(header));
      return height;
    }
    assertThat(certified.hasField(certified.getDescriptorForType().findFieldByName("proof")))
        .as("block %d has no signatures and no finality proof", height).isTrue();
    DynamicMessage proof = (DynamicMessage) get(certified, "proof");
    ByteString previous = sha256(header);
    long expected = height + 1;
    @SuppressWarnings("unchecked")
    List<ByteString> headers = (List<ByteString>) get(proof, "headers");
    for (ByteString bytes : headers) {
      DynamicMessage next = DynamicMessage.parseFrom(types.get("fedledger.v1.BlockHeader"), bytes);
      assertThat(get(next, "chain_id")).isEqualTo(get(genesis, "chain_id"));
      assertThat(get(next, "height")).isEqualTo(expected);
      assertThat(get(next, "previous_hash")).as("proof header %d links", expected).isEqualTo(previous);
      previous = sha256(bytes);
      expected++;
    }
    assertCertifies(genesis, (DynamicMessage) get(proof, "certificate"), expected - 1, previous);
    return height;
  }

  /** 2f+1 distinct genesis validators signed the CommitStatement of ({@code height}, {@code hash}) in {@code cert}. */
  private void assertCertifies(DynamicMessage genesis, DynamicMessage cert, long height, ByteString hash) throws Exception {
    assertThat(get(cert, "height")).isEqualTo(height);
    assertThat(get(cert, "block_hash")).isEqualTo(hash);
    DynamicMessage statement = set(set(set(set(message("CommitStatement"), "chain_id", get(genesis, "chain_id")),
        "view", get(cert, "view")), "height", height), "block_hash", hash).build();
    Map<Integer, ByteString> keys = new HashMap<>();
    @SuppressWarnings("unchecked")
    List<DynamicMessage> validators = (List<DynamicMessage>) get(genesis, "validators");
    for (DynamicMessage v : validators) {
      keys.put((Integer) get(v, "index"), (ByteString) get(v, "public_key"));
    }
    @SuppressWarnings("unchecked")
    List<DynamicMessage> signatures = (List<DynamicMessage>) get(cert, "signatures");
    assertThat(signatures.size()).isLessThanOrEqualTo(keys.size());
    java.util.TreeSet<Integer> signers = new java.util.TreeSet<>();
    for (DynamicMessage s : signatures) {
      ByteString key = keys.get((Integer) get(s, "validator"));
      if (key != null && ed25519Verifies(key, statement.toByteString(), (ByteString) get(s, "signature"))) {
        signers.add((Integer) get(s, "validator"));
      }
    }
    int f = (keys.size() - 1) / 3;
    assertThat(signers).as("valid signers of block %d", height).hasSizeGreaterThanOrEqualTo(2 * f + 1);
  }

  /** The JDK's Ed25519 over a raw 32-byte RFC 8032 key (wrapped in its X.509 SubjectPublicKeyInfo). */
  private static boolean ed25519Verifies(ByteString publicKey, ByteString message, ByteString signature) throws Exception {
    byte[] spki = ByteString.copyFrom(HexFormat.of().parseHex("302a300506032b6570032100")).concat(publicKey).toByteArray();
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
    verifier.update(message.toByteArray());
    try {
      return verifier.verify(signature.toByteArray());
    } catch (java.security.SignatureException malformed) {
      return false;
    }
  }

  private static ByteString sha256(ByteString bytes) throws Exception {
    return ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
  }
}
