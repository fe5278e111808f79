package org.fedledger.ledger.chain;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.fedledger.ledger.crypto.Ed25519;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.proto.ChainParameters;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;

/**
 * A validated genesis and the chain rules it fixes, with every zero-valued
 * {@link ChainParameters} field replaced by its default. Built once at startup by
 * {@link #of(Genesis)}; everything that checks a block or a transaction reads its limits here.
 *
 * <p>{@code genesisHash} is SHA-256 of the serialized {@link Genesis}: it pins the chain (a
 * store made for another genesis refuses to open, peers with another genesis are refused).
 *
 * @param validators the genesis validators ordered by index, so {@code validators.get(i)} has index i
 */
public record Chain(
    Genesis genesis,
    Hash genesisHash,
    List<GenesisValidator> validators,
    int blockTxMax,
    int blockBytesMax,
    int txBytesMax,
    long timestampDriftMaxMillis,
    int nonceWindow) {

  /** Default maximum number of transactions in a block. */
  public static final int DEFAULT_BLOCK_TX_MAX = 500;
  /** Default maximum serialized block size: 16 MiB. */
  public static final int DEFAULT_BLOCK_BYTES_MAX = 16 << 20;
  /** Default maximum serialized envelope size: 2 MiB. */
  public static final int DEFAULT_TX_BYTES_MAX = 2 << 20;
  /** Default bound on |block timestamp - now|: 30 s. */
  public static final long DEFAULT_TIMESTAMP_DRIFT_MAX_MILLIS = 30_000;
  /** Default nonce replay window. */
  public static final int DEFAULT_NONCE_WINDOW = 1024;
  /** Longest accepted chain id. */
  public static final int CHAIN_ID_LENGTH_MAX = 64;

  /** Copies the validator list. */
  public Chain {
    validators = List.copyOf(validators);
  }

  /**
   * Validates {@code genesis} and resolves its parameters.
   *
   * @throws IllegalArgumentException with a message naming the offending field
   */
  public static Chain of(Genesis genesis) {
    List<String> problems = problems(genesis);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid genesis: " + String.join("; ", problems));
    }
    ChainParameters p = genesis.getParameters();
    List<GenesisValidator> ordered = new ArrayList<>(genesis.getValidatorsList());
    ordered.sort(Comparator.comparingInt(GenesisValidator::getIndex));
    return new Chain(
        genesis,
        Hash.sha256(genesis.toByteString()),
        ordered,
        p.getBlockTxMax() == 0 ? DEFAULT_BLOCK_TX_MAX : p.getBlockTxMax(),
        p.getBlockBytesMax() == 0 ? DEFAULT_BLOCK_BYTES_MAX : p.getBlockBytesMax(),
        p.getTxBytesMax() == 0 ? DEFAULT_TX_BYTES_MAX : p.getTxBytesMax(),
        p.getTimestampDriftMaxMillis() == 0 ? DEFAULT_TIMESTAMP_DRIFT_MAX_MILLIS : p.getTimestampDriftMaxMillis(),
        p.getNonceWindow() == 0 ? DEFAULT_NONCE_WINDOW : p.getNonceWindow());
  }

  /** Every problem of {@code genesis}, each naming its field; empty when it is valid. */
  public static List<String> problems(Genesis genesis) {
    List<String> out = new ArrayList<>();
    String id = genesis.getChainId();
    if (id.isEmpty()) {
      out.add("chain_id must not be empty");
    } else if (id.length() > CHAIN_ID_LENGTH_MAX || !id.matches("[A-Za-z0-9._-]+")) {
      out.add("chain_id must be 1-" + CHAIN_ID_LENGTH_MAX + " characters of [A-Za-z0-9._-], got '" + id + "'");
    }
    checkValidators(genesis.getValidatorsList(), out);
    TreeSet<ByteString> keys = new TreeSet<>(ByteString.unsignedLexicographicalComparator());
    for (GenesisValidator v : genesis.getValidatorsList()) {
      keys.add(v.getPublicKey());
    }
    for (int i = 0; i < genesis.getAdminsCount(); i++) {
      GenesisAdmin a = genesis.getAdmins(i);
      String f = "admins[" + i + "]";
      if (a.getName().isEmpty()) {
        out.add(f + ".name must not be empty");
      }
      if (!Ed25519.isValidPublicKey(a.getPublicKey())) {
        out.add(f + ".public_key must be a valid 32-byte Ed25519 key, got " + a.getPublicKey().size() + " bytes");
      } else if (!keys.add(a.getPublicKey())) {
        out.add(f + ".public_key " + Keys.shortHex(a.getPublicKey()) + " is already a validator or admin key");
      }
    }
    checkParameters(genesis.getParameters(), out);
    return out;
  }

  private static void checkValidators(List<GenesisValidator> validators, List<String> out) {
    if (validators.isEmpty()) {
      out.add("validators must list at least one validator");
      return;
    }
    TreeSet<ByteString> keys = new TreeSet<>(ByteString.unsignedLexicographicalComparator());
    TreeSet<Integer> indexes = new TreeSet<>();
    TreeSet<String> ids = new TreeSet<>();
    for (int i = 0; i < validators.size(); i++) {
      GenesisValidator v = validators.get(i);
      String f = "validators[" + i + "]";
      if (!Ed25519.isValidPublicKey(v.getPublicKey())) {
        out.add(f + ".public_key must be a valid 32-byte Ed25519 key, got " + v.getPublicKey().size() + " bytes");
      } else if (!keys.add(v.getPublicKey())) {
        out.add(f + ".public_key " + Keys.shortHex(v.getPublicKey()) + " is listed twice");
      }
      if (v.getIndex() >= validators.size()) {
        out.add(f + ".index " + v.getIndex() + " is out of range 0.." + (validators.size() - 1));
      } else if (!indexes.add(v.getIndex())) {
        out.add(f + ".index " + v.getIndex() + " is used twice");
      }
      if (v.getId().isEmpty()) {
        out.add(f + ".id must not be empty");
      } else if (!ids.add(v.getId())) {
        out.add(f + ".id '" + v.getId() + "' is used twice");
      }
    }
  }

  private static void checkParameters(ChainParameters p, List<String> out) {
    if (p.getNonceWindow() % 64 != 0) {
      out.add("parameters.nonce_window must be a multiple of 64, got " + p.getNonceWindow());
    }
    if (p.getBlockTxMax() < 0 || p.getBlockBytesMax() < 0 || p.getTxBytesMax() < 0 || p.getNonceWindow() < 0) {
      out.add("parameters: uint32 limits above 2^31-1 are not supported");
    }
    if (p.getTxBytesMax() != 0 && p.getBlockBytesMax() != 0 && p.getTxBytesMax() > p.getBlockBytesMax()) {
      out.add("parameters.tx_bytes_max " + p.getTxBytesMax() + " exceeds block_bytes_max " + p.getBlockBytesMax());
    }
  }

  /** The chain id. */
  public String chainId() {
    return genesis.getChainId();
  }

  /** Number of validators n. */
  public int validatorCount() {
    return validators.size();
  }

  /** The index of the validator with {@code publicKey}, if it is one. */
  public Optional<Integer> validatorIndex(ByteString publicKey) {
    for (GenesisValidator v : validators) {
      if (v.getPublicKey().equals(publicKey)) {
        return Optional.of(v.getIndex());
      }
    }
    return Optional.empty();
  }
}
