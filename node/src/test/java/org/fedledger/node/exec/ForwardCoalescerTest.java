package org.fedledger.node.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.Envelope;
import org.fedledger.proto.ForwardRequest;
import org.junit.jupiter.api.Test;

/** The event loop's merging of one batch's forwarded transactions. */
class ForwardCoalescerTest {
  private static Envelope tx(int i, int bodyBytes) {
    byte[] body = new byte[bodyBytes];
    body[0] = (byte) i;
    body[1] = (byte) (i >> 8);
    return Envelope.newBuilder().setBody(ByteString.copyFrom(body)).build();
  }

  private static ForwardRequest forward(Envelope... txs) {
    return ForwardRequest.newBuilder().addAllTransactions(List.of(txs)).build();
  }

  private static List<Envelope> all(List<ConsensusMessage> sent) {
    List<Envelope> out = new ArrayList<>();
    sent.forEach(m -> out.addAll(m.getForwardRequest().getTransactionsList()));
    return out;
  }

  @Test
  void oneMessagePerBatchKeepingTheOrder() {
    List<ConsensusMessage> sent = new ArrayList<>();
    var c = new EventLoop.ForwardCoalescer(500, 1 << 20, sent::add);
    List<Envelope> txs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      txs.add(tx(i, 100));
      c.add(forward(txs.get(i)));
    }
    assertThat(sent).isEmpty();
    c.flush();
    assertThat(sent).hasSize(1);
    assertThat(all(sent)).containsExactlyElementsOf(txs);
    c.flush();
    assertThat(sent).hasSize(1);
  }

  @Test
  void neverMoreTransactionsThanTheReceiversAccept() {
    List<ConsensusMessage> sent = new ArrayList<>();
    var c = new EventLoop.ForwardCoalescer(3, 1 << 20, sent::add);
    List<Envelope> txs = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      txs.add(tx(i, 50));
    }
    c.add(forward(txs.get(0), txs.get(1)));
    c.add(forward(txs.get(2), txs.get(3), txs.get(4)));
    c.add(forward(txs.get(5), txs.get(6)));
    c.flush();
    assertThat(sent).extracting(m -> m.getForwardRequest().getTransactionsCount()).containsExactly(3, 3, 1);
    assertThat(all(sent)).containsExactlyElementsOf(txs);
  }

  @Test
  void splitsByBytesAndSendsAnOversizedTransactionAlone() {
    List<ConsensusMessage> sent = new ArrayList<>();
    var c = new EventLoop.ForwardCoalescer(500, 1_000, sent::add);
    c.add(forward(tx(1, 400), tx(2, 400)));
    c.add(forward(tx(3, 400)));
    c.add(forward(tx(4, 5_000)));
    c.add(forward(tx(5, 10)));
    c.flush();
    assertThat(sent).extracting(m -> m.getForwardRequest().getTransactionsCount()).containsExactly(2, 1, 1, 1);
    for (ConsensusMessage m : sent) {
      long bytes = m.getForwardRequest().getTransactionsList().stream().mapToLong(Envelope::getSerializedSize).sum();
      assertThat(bytes <= 1_000 || m.getForwardRequest().getTransactionsCount() == 1).isTrue();
    }
  }

  @Test
  void refusesNonPositiveLimits() {
    assertThatThrownBy(() -> new EventLoop.ForwardCoalescer(0, 1, m -> { }))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
