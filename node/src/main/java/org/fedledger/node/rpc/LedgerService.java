package org.fedledger.node.rpc;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.chain.Chain;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.crypto.Keys;
import org.fedledger.ledger.registry.Registry;
import org.fedledger.ledger.store.LedgerStore;
import org.fedledger.ledger.store.TxLocation;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.Genesis;
import org.fedledger.proto.Participant;
import org.fedledger.proto.Receipt;
import org.fedledger.proto.api.BlockNotification;
import org.fedledger.proto.api.EventNotification;
import org.fedledger.proto.api.GetBlockRequest;
import org.fedledger.proto.api.GetGenesisRequest;
import org.fedledger.proto.api.GetParticipantRequest;
import org.fedledger.proto.api.GetReceiptRequest;
import org.fedledger.proto.api.GetStatusRequest;
import org.fedledger.proto.api.LedgerApiGrpc;
import org.fedledger.proto.api.NodeStatus;
import org.fedledger.proto.api.ReceiptResponse;
import org.fedledger.proto.api.StreamBlocksRequest;
import org.fedledger.proto.api.StreamEventsRequest;
import org.fedledger.proto.api.SubmitTransactionRequest;
import org.fedledger.proto.api.SubmitResult;
import org.fedledger.proto.api.SubmitTransactionResponse;
import org.fedledger.proto.api.SubmitTransactionsRequest;
import org.fedledger.proto.api.SubmitTransactionsResponse;
import org.fedledger.proto.api.WaitForCommitRequest;
import org.fedledger.node.metrics.NodeMetrics;

/**
 * The LedgerApi gRPC service (see node_api.proto for the status-code rules). Reads go straight
 * to the store; submissions are validated statelessly here (on the gRPC thread) and handed to
 * {@link TxIntake}; waits and streams are woken by {@link CommitFeed}.
 */
public final class LedgerService extends LedgerApiGrpc.LedgerApiImplBase {
  /** WaitForCommit's timeout when the request gives none. */
  public static final long WAIT_DEFAULT_MILLIS = 30_000;
  /**
   * Most envelopes in one SubmitTransactions call: the one place this limit lives (the server
   * refuses a larger batch with BAD_BATCH, the CLI splits its batches by it; node/README.md
   * states the number).
   */
  public static final int SUBMIT_BATCH_MAX = 1_000;

  private final Chain chain;
  private final LedgerStore store;
  private final Submissions submissions;
  private final CommitFeed feed;
  private final Supplier<NodeStatus> status;
  private final ScheduledExecutorService scheduler;
  private final long waitMaxMillis;
  private final NodeMetrics metrics;
  private final FinalityProver prover;

  /** A service over {@code store}; {@code scheduler} runs timeouts and stream drains. */
  public LedgerService(Chain chain, LedgerStore store, TxIntake intake, CommitFeed feed,
      Supplier<NodeStatus> status, ScheduledExecutorService scheduler, long waitMaxMillis, NodeMetrics metrics) {
    this.chain = chain;
    this.store = store;
    this.submissions = new Submissions(chain, store, intake, metrics);
    this.feed = feed;
    this.status = status;
    this.scheduler = scheduler;
    this.waitMaxMillis = waitMaxMillis;
    this.metrics = metrics;
    this.prover = new FinalityProver(chain, store);
  }

  @Override
  public void submitTransaction(SubmitTransactionRequest request, StreamObserver<SubmitTransactionResponse> out) {
    if (!request.hasEnvelope()) {
      Status missing = Status.INVALID_ARGUMENT.withDescription("MALFORMED_ENVELOPE: envelope is not set");
      out.onError(submissions.refused(ByteString.EMPTY, "MISSING_ENVELOPE", missing).status().asRuntimeException());
      return;
    }
    Submissions.Outcome o = submissions.submit(request.getEnvelope());
    if (!o.accepted()) {
      out.onError(o.status().asRuntimeException());
      return;
    }
    out.onNext(SubmitTransactionResponse.newBuilder().setTxId(o.txId()).build());
    out.onCompleted();
  }

  /**
   * Checks every transaction of the batch as {@link #submitTransaction} would and hands those
   * that pass to the intake in one call; one result per transaction, in order. Refuses the call
   * only for an empty batch or one above {@link #SUBMIT_BATCH_MAX}.
   */
  @Override
  public void submitTransactions(SubmitTransactionsRequest request, StreamObserver<SubmitTransactionsResponse> out) {
    int n = request.getEnvelopesCount();
    if (n == 0 || n > SUBMIT_BATCH_MAX) {
      // A refused call, not refused transactions: none of them was looked at.
      metrics.batchesRefused.labelValues(n == 0 ? "empty" : "too_many").inc();
      out.onError(Status.INVALID_ARGUMENT.withDescription(n == 0
          ? "BAD_BATCH: the batch holds no envelope (send 1 to " + SUBMIT_BATCH_MAX + ")"
          : "BAD_BATCH: the batch holds " + n + " envelopes, more than the maximum of " + SUBMIT_BATCH_MAX
              + "; split it").asRuntimeException());
      return;
    }
    SubmitTransactionsResponse.Builder b = SubmitTransactionsResponse.newBuilder();
    for (Submissions.Outcome o : submissions.submitAll(request.getEnvelopesList())) {
      SubmitResult.Builder r = b.addResultsBuilder().setTxId(o.txId()).setAccepted(o.accepted());
      if (!o.accepted()) {
        r.setCode(o.status().getCode().value()).setReason(o.status().getDescription());
      }
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void getReceipt(GetReceiptRequest request, StreamObserver<ReceiptResponse> out) {
    Optional<Hash> id = txId(request.getTxId(), out);
    if (id.isEmpty()) {
      return;
    }
    Optional<ReceiptResponse> r = receipt(id.get());
    if (r.isEmpty()) {
      out.onError(Status.NOT_FOUND.withDescription("no committed transaction " + id.get().hex()
          + " (pending or unknown)").asRuntimeException());
      return;
    }
    out.onNext(r.get());
    out.onCompleted();
  }

  @Override
  public void waitForCommit(WaitForCommitRequest request, StreamObserver<ReceiptResponse> out) {
    Optional<Hash> id = txId(request.getTxId(), out);
    if (id.isEmpty()) {
      return;
    }
    long timeout = request.getTimeoutMillis() == 0 ? WAIT_DEFAULT_MILLIS : Math.min(request.getTimeoutMillis(), waitMaxMillis);
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Runnable> unsubscribe = new AtomicReference<>(() -> { });
    AtomicReference<ScheduledFuture<?>> timer = new AtomicReference<>();
    Runnable check = () -> {
      if (done.get()) {
        return;
      }
      Optional<ReceiptResponse> r = receipt(id.get());
      if (r.isPresent() && done.compareAndSet(false, true)) {
        unsubscribe.get().run();
        ScheduledFuture<?> t = timer.get();
        if (t != null) {
          t.cancel(false);
        }
        out.onNext(r.get());
        out.onCompleted();
      }
    };
    unsubscribe.set(feed.subscribe(h -> scheduler.execute(check)));
    timer.set(scheduler.schedule(() -> {
      if (done.compareAndSet(false, true)) {
        unsubscribe.get().run();
        out.onError(Status.DEADLINE_EXCEEDED.withDescription("transaction " + id.get().hex()
            + " not committed within " + timeout + " ms").asRuntimeException());
      }
    }, timeout, TimeUnit.MILLISECONDS));
    if (out instanceof ServerCallStreamObserver<ReceiptResponse> call) {
      call.setOnCancelHandler(() -> {
        if (done.compareAndSet(false, true)) {
          unsubscribe.get().run();
          timer.get().cancel(false);
        }
      });
    }
    scheduler.execute(check);
  }

  @Override
  public void getBlock(GetBlockRequest request, StreamObserver<CertifiedBlock> out) {
    Optional<CertifiedBlock> block;
    String what;
    switch (request.getSelectorCase()) {
      case HEIGHT:
        block = store.block(request.getHeight());
        what = "height " + request.getHeight();
        break;
      case HASH:
        if (request.getHash().size() != Hash.LENGTH) {
          out.onError(Status.INVALID_ARGUMENT.withDescription("hash must be 32 bytes, got "
              + request.getHash().size()).asRuntimeException());
          return;
        }
        block = store.heightOf(Hash.of(request.getHash())).flatMap(store::block);
        what = "hash " + Hash.of(request.getHash()).hex();
        break;
      case LATEST:
      case SELECTOR_NOT_SET:
        block = store.head().flatMap(h -> store.block(h.height()));
        what = "head";
        break;
      default:
        throw new AssertionError(request.getSelectorCase());
    }
    if (block.isEmpty()) {
      out.onError(Status.NOT_FOUND.withDescription("no committed block at " + what).asRuntimeException());
      return;
    }
    out.onNext(prover.serve(block.get()));
    out.onCompleted();
  }

  /**
   * Streams blocks as stored: each with its own certificate, which has no signatures unless the
   * block is certified, and no finality proof. A client following the stream checks that each
   * block names the previous one's hash and that the next certified block's certificate
   * verifies; that proves every block below it (see {@link org.fedledger.ledger.chain.Finality}).
   */
  @Override
  public void streamBlocks(StreamBlocksRequest request, StreamObserver<BlockNotification> out) {
    long from = request.getFromHeight() == 0 ? headHeight() + 1 : request.getFromHeight();
    boolean withTxs = request.getIncludeTransactions();
    new HeightStream<>(store, feed, scheduler, (ServerCallStreamObserver<BlockNotification>) out, from,
        (h, sink) -> {
          Optional<CertifiedBlock> b = store.block(h);
          if (b.isEmpty()) {
            return false;
          }
          CertifiedBlock block = b.get();
          if (!withTxs) {
            block = block.toBuilder().setBlock(block.getBlock().toBuilder().clearTransactions()).build();
          }
          sink.accept(BlockNotification.newBuilder().setBlock(block).addAllReceipts(store.receipts(h))
              .addAllEndEvents(store.endEvents(h))
              .setStateRoot(store.stateRootAt(h).map(Hash::bytes).orElse(ByteString.EMPTY)).build());
          return true;
        }).start();
  }

  @Override
  public void streamEvents(StreamEventsRequest request, StreamObserver<EventNotification> out) {
    long from = request.getFromHeight() == 0 ? headHeight() + 1 : request.getFromHeight();
    String prefix = request.getTypePrefix();
    new HeightStream<>(store, feed, scheduler, (ServerCallStreamObserver<EventNotification>) out, from,
        (h, sink) -> {
          if (store.block(h).isEmpty()) {
            return false;
          }
          for (Receipt r : store.receipts(h)) {
            for (var e : r.getEventsList()) {
              if (e.getType().startsWith(prefix)) {
                sink.accept(EventNotification.newBuilder().setHeight(h).setTxId(r.getTxId()).setEvent(e).build());
              }
            }
          }
          for (var e : store.endEvents(h)) {
            if (e.getType().startsWith(prefix)) {
              sink.accept(EventNotification.newBuilder().setHeight(h).setEvent(e).build());
            }
          }
          return true;
        }).start();
  }

  @Override
  public void getStatus(GetStatusRequest request, StreamObserver<NodeStatus> out) {
    out.onNext(status.get());
    out.onCompleted();
  }

  @Override
  public void getParticipant(GetParticipantRequest request, StreamObserver<Participant> out) {
    Optional<Participant> p = Registry.participant(store.state(), request.getPublicKey());
    if (p.isEmpty()) {
      out.onError(Status.NOT_FOUND.withDescription("no participant with public key "
          + Keys.hex(request.getPublicKey())).asRuntimeException());
      return;
    }
    out.onNext(p.get());
    out.onCompleted();
  }

  @Override
  public void getGenesis(GetGenesisRequest request, StreamObserver<Genesis> out) {
    out.onNext(chain.genesis());
    out.onCompleted();
  }

  private long headHeight() {
    return store.head().map(h -> h.height()).orElse(-1L);
  }

  private Optional<ReceiptResponse> receipt(Hash id) {
    Optional<TxLocation> at = store.txLocation(id);
    if (at.isEmpty()) {
      return Optional.empty();
    }
    Optional<Receipt> r = store.receipt(at.get().height(), at.get().index());
    Optional<CertifiedBlock> b = store.block(at.get().height());
    if (r.isEmpty() || b.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(ReceiptResponse.newBuilder().setReceipt(r.get())
        .setBlockHash(Blocks.hash(b.get().getBlock()).bytes()).build());
  }

  private static Optional<Hash> txId(ByteString raw, StreamObserver<?> out) {
    if (raw.size() != Hash.LENGTH) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("tx_id must be 32 bytes, got " + raw.size())
          .asRuntimeException());
      return Optional.empty();
    }
    return Optional.of(Hash.of(raw));
  }
}
