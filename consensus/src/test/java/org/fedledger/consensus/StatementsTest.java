package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.proto.ProposalStatement;
import org.junit.jupiter.api.Test;

/** The signed bytes of a proposal: canonical, and the certify flag under the signature. */
class StatementsTest {
  private static final Statements STATEMENTS = new Statements(ReplicaTest.SIM.chain());
  private static final ByteString HASH = Hash.sha256(ByteString.copyFromUtf8("block")).bytes();

  @Test
  void anUncertifiedProposalSignsTheBytesItSignedBeforeTheFlagExisted() {
    ByteString legacy = ProposalStatement.newBuilder().setChainId(ReplicaTest.SIM.chain().chainId()).setView(3)
        .setSequence(7).setBlockHash(HASH).build().toByteString();
    assertThat(STATEMENTS.proposal(3, 7, HASH, false)).isEqualTo(legacy);
    assertThat(STATEMENTS.proposal(3, 7, HASH, true))
        .as("certify = true adds field 5 as one varint byte at the end")
        .isEqualTo(legacy.concat(ByteString.copyFrom(new byte[] {0x28, 0x01})));
  }

  @Test
  void aSignatureOverOneFlagDoesNotVerifyForTheOther() {
    ByteString sig = ReplicaTest.key(2).sign(STATEMENTS.proposal(3, 7, HASH, true));
    assertThat(STATEMENTS.verify(2, STATEMENTS.proposal(3, 7, HASH, true), sig)).isTrue();
    assertThat(STATEMENTS.verify(2, STATEMENTS.proposal(3, 7, HASH, false), sig)).isFalse();
  }
}
