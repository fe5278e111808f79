package org.fedledger.ledger.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedledger.ledger.TestLedger;
import org.fedledger.proto.ChainParameters;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.GenesisAdmin;
import org.fedledger.proto.GenesisValidator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenesisTest {
  @TempDir Path dir;

  @Test
  void defaultsAndOrder() {
    Genesis.Builder g = TestLedger.genesis();
    GenesisValidator first = g.getValidators(0);
    g.removeValidators(0).addValidators(first);
    Chain c = Chain.of(g.build());
    assertThat(c.validators()).extracting(GenesisValidator::getIndex).containsExactly(0, 1, 2, 3);
    assertThat(c.blockTxMax()).isEqualTo(Chain.DEFAULT_BLOCK_TX_MAX);
    assertThat(c.txBytesMax()).isEqualTo(Chain.DEFAULT_TX_BYTES_MAX);
    assertThat(c.nonceWindow()).isEqualTo(Chain.DEFAULT_NONCE_WINDOW);
    assertThat(c.validatorIndex(TestLedger.key(2).publicKey())).contains(2);
    assertThat(c.validatorIndex(TestLedger.ADMIN.publicKey())).isEmpty();
    assertThat(c.genesisHash()).isNotEqualTo(TestLedger.chain().genesisHash());
  }

  @Test
  void everyProblemNamesItsField() {
    Genesis bad = TestLedger.genesis().setChainId("bad id!")
        .setValidators(1, TestLedger.genesis().getValidators(1).toBuilder().setIndex(0).setId("validator-0"))
        .setValidators(2, TestLedger.genesis().getValidators(2).toBuilder().setPublicKey(ByteString.copyFrom(new byte[5])))
        .setValidators(3, TestLedger.genesis().getValidators(3).toBuilder().setIndex(9).setId(""))
        .addAdmins(GenesisAdmin.newBuilder().setName("").setPublicKey(TestLedger.key(0).publicKey()))
        .setParameters(ChainParameters.newBuilder().setNonceWindow(100).setTxBytesMax(10).setBlockBytesMax(5))
        .build();
    assertThat(Chain.problems(bad)).containsExactly(
        "chain_id must be 1-64 characters of [A-Za-z0-9._-], got 'bad id!'",
        "validators[1].index 0 is used twice",
        "validators[1].id 'validator-0' is used twice",
        "validators[2].public_key must be a valid 32-byte Ed25519 key, got 5 bytes",
        "validators[3].index 9 is out of range 0..3",
        "validators[3].id must not be empty",
        "admins[1].name must not be empty",
        "admins[1].public_key " + org.fedledger.ledger.crypto.Keys.shortHex(TestLedger.key(0).publicKey())
            + " is already a validator or admin key",
        "parameters.nonce_window must be a multiple of 64, got 100",
        "parameters.tx_bytes_max 10 exceeds block_bytes_max 5");
    assertThatThrownBy(() -> Chain.of(bad)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid genesis: chain_id");
    assertThat(Chain.problems(Genesis.getDefaultInstance()))
        .containsExactly("chain_id must not be empty", "validators must list at least one validator");
    assertThat(Chain.problems(TestLedger.genesis().build())).isEmpty();
  }

  @Test
  void fileRoundTripAndErrorsNameThePath() throws IOException {
    Path p = dir.resolve("genesis.json");
    GenesisFile.write(p, TestLedger.genesis().build());
    assertThat(GenesisFile.load(p)).isEqualTo(TestLedger.chain());
    Files.writeString(p, "{\"chain_id\": \"x\", \"colour\": 1}");
    assertThatThrownBy(() -> GenesisFile.load(p)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("genesis file " + p + ": not a valid genesis JSON").hasMessageContaining("colour");
    Files.writeString(p, "{\"chain_id\": \"x\"}");
    assertThatThrownBy(() -> GenesisFile.load(p)).hasMessageContaining(p.toString())
        .hasMessageContaining("validators must list at least one validator");
    assertThatThrownBy(() -> GenesisFile.load(dir.resolve("missing.json"))).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("missing.json");
  }
}
