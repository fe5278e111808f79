package org.fedledger.ledger.chain;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.util.EnumSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.fedledger.ledger.TestLedger;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.KeyPair;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.Role;
import org.fedledger.proto.Transaction;
import org.junit.jupiter.api.Test;

class TxValidatorTest {
  private static final EnumSet<TxError> SEEN = EnumSet.noneOf(TxError.class);
  private final TxValidator validator = new TxValidator(TestLedger.chain());
  private final KeyPair admin = TestLedger.ADMIN;
  private final Transaction good = TestLedger.register(admin, 1, TestLedger.key(50), Role.HOSPITAL);

  @Test
  void aGoodTransactionParses() {
    Envelope env = TestLedger.sign(admin, good);
    TxCheck c = validator.check(env.toByteString());
    assertThat(c).isInstanceOf(TxCheck.Valid.class);
    TxCheck.Valid v = (TxCheck.Valid) c;
    assertThat(v.tx().tx()).isEqualTo(good);
    assertThat(v.tx().id()).isEqualTo(Blocks.txId(env));
    assertThat(validator.check(env)).isEqualTo(c);
    assertThat(validator.check(env.toByteArray())).isEqualTo(c);
  }

  @Test
  void anIdComputedByTheCallerIsUsedAsIsAndTheAnswersAreTheSame() {
    Envelope env = TestLedger.sign(admin, good);
    Hash id = Hash.sha256(env.getBody());
    TxCheck c = validator.check(env, id);
    assertThat(c).isEqualTo(validator.check(env));
    assertThat(((TxCheck.Valid) c).tx().id()).isSameAs(id); // not hashed again
    Transaction other = good.toBuilder().setChainId("other-chain").build();
    Envelope wrong = TestLedger.sign(admin, other);
    assertThat(validator.check(wrong, Hash.sha256(wrong.getBody()))).isEqualTo(validator.check(wrong));
  }

  @Test
  void truncatedBytes() {
    byte[] raw = TestLedger.sign(admin, good).toByteArray();
    byte[] cut = java.util.Arrays.copyOf(raw, 20);
    assertRefused(validator.check(cut), TxError.MALFORMED_ENVELOPE, "not an Envelope");
  }

  @Test
  void oversized() {
    TxValidator small = new TxValidator(TestLedger.CHAIN_ID, 100);
    assertRefused(small.check(TestLedger.sign(admin, good).toByteString()), TxError.TX_TOO_LARGE, "exceed tx_bytes_max 100");
    assertRefused(small.check(TestLedger.sign(admin, good)), TxError.TX_TOO_LARGE, "exceed tx_bytes_max 100");
  }

  @Test
  void wrongSignerOrSignatureLength() {
    Envelope env = TestLedger.sign(admin, good);
    assertRefused(validator.check(env.toBuilder().setSignature(env.getSignature().substring(1)).build()),
        TxError.BAD_SIGNER_OR_SIGNATURE_LENGTH, "got 32 and 63");
    assertRefused(validator.check(env.toBuilder().clearSigner().build()),
        TxError.BAD_SIGNER_OR_SIGNATURE_LENGTH, "got 0 and 64");
  }

  @Test
  void bodyThatIsNotATransaction() {
    ByteString body = ByteString.copyFrom(new byte[] {(byte) 0x0a, 0x7f, 1});
    Envelope env = Envelope.newBuilder().setBody(body).setSigner(admin.publicKey()).setSignature(admin.sign(body)).build();
    assertRefused(validator.check(env), TxError.MALFORMED_BODY, "body is not a Transaction");
  }

  @Test
  void wrongChainId() {
    Transaction other = good.toBuilder().setChainId("other-chain").build();
    assertRefused(validator.check(TestLedger.sign(admin, other)), TxError.WRONG_CHAIN, "'other-chain' is not 'test-chain'");
  }

  @Test
  void signerMismatch() {
    Transaction claimsOther = good.toBuilder().setSigner(TestLedger.key(9).publicKey()).build();
    assertRefused(validator.check(TestLedger.sign(admin, claimsOther)), TxError.SIGNER_MISMATCH, "differs");
  }

  @Test
  void missingOrUnknownPayload() {
    Transaction none = TestLedger.tx(admin, 1).build();
    assertRefused(validator.check(TestLedger.sign(admin, none)), TxError.PAYLOAD_NOT_SET, "no payload");
    // a payload type from a newer version (field 99) parses as an unknown field: PAYLOAD_NOT_SET
    Transaction future = TestLedger.tx(admin, 1).setUnknownFields(UnknownFieldSet.newBuilder()
        .addField(99, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("x")).build())
        .build()).build();
    assertRefused(validator.check(TestLedger.sign(admin, future)), TxError.PAYLOAD_NOT_SET, "does not know");
  }

  @Test
  void badSignature() {
    Envelope env = TestLedger.sign(admin, good);
    Envelope forged = env.toBuilder().setSignature(TestLedger.key(9).sign(env.getBody())).build();
    assertRefused(validator.check(forged), TxError.BAD_SIGNATURE, "does not verify");
  }

  @Property(tries = 1000)
  void randomBytesAreRefusedNeverThrown(@ForAll @Size(max = 400) byte[] junk) {
    TxCheck c = validator.check(junk);
    assertThat(c).isInstanceOf(TxCheck.Invalid.class);
    assertThat(((TxCheck.Invalid) c).message()).isNotEmpty();
  }

  @Property(tries = 500)
  void everyTruncationIsRefused(@ForAll @IntRange(min = 0, max = 10_000) int cut) {
    byte[] raw = TestLedger.sign(admin, good).toByteArray();
    byte[] prefix = java.util.Arrays.copyOf(raw, cut % raw.length);
    assertThat(validator.check(prefix)).isInstanceOf(TxCheck.Invalid.class);
  }

  @Property(tries = 1000)
  void everySingleBitFlipIsRefused(@ForAll @IntRange(min = 0, max = 1_000_000) int bit) {
    byte[] raw = TestLedger.sign(admin, good).toByteArray();
    int b = bit % (raw.length * 8);
    raw[b / 8] ^= (byte) (1 << (b % 8));
    assertThat(validator.check(raw)).isInstanceOf(TxCheck.Invalid.class);
  }

  /** Runs every case above on fresh instances, so that this holds whichever tests were selected. */
  @Test
  void everyReasonWasShown() throws Exception {
    SEEN.clear();
    new TxValidatorTest().truncatedBytes();
    new TxValidatorTest().oversized();
    new TxValidatorTest().wrongSignerOrSignatureLength();
    new TxValidatorTest().bodyThatIsNotATransaction();
    new TxValidatorTest().wrongChainId();
    new TxValidatorTest().signerMismatch();
    new TxValidatorTest().missingOrUnknownPayload();
    new TxValidatorTest().badSignature();
    assertThat(SEEN).isEqualTo(EnumSet.allOf(TxError.class));
  }

  private static void assertRefused(TxCheck c, TxError error, String messagePart) {
    assertThat(c).isInstanceOf(TxCheck.Invalid.class);
    TxCheck.Invalid bad = (TxCheck.Invalid) c;
    assertThat(bad.error()).isEqualTo(error);
    assertThat(bad.message()).contains(messagePart);
    SEEN.add(error);
  }
}
