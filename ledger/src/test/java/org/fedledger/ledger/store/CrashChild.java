package org.fedledger.ledger.store;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The child process of {@link CrashRecoveryTest}: opens the store, commits the genesis block if
 * the store is empty, then commits batches of 1 to 4 blocks as fast as it can until it is killed,
 * each with a consensus-log record ({@link #CONSENSUS_HEAD}) in the same write.
 * After each commit returns it prints {@code committed <height>}, so the parent knows a lower bound of
 * what must survive the kill. Exits by itself when its parent goes away (stdin closes).
 */
public final class CrashChild {
  /** The consensus-log key the child writes with each batch: the batch's last height. */
  static final ByteString CONSENSUS_HEAD = ByteString.copyFromUtf8("crash-child/head");

  private CrashChild() {}

  /** {@code height} as 8 bytes, big-endian. */
  static ByteString height(long height) {
    return ByteString.copyFrom(java.nio.ByteBuffer.allocate(8).putLong(height).array());
  }

  /** {@code args[0]}: the data directory. */
  public static void main(String[] args) {
    Thread orphanGuard = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // the parent never writes; EOF means it is gone
        }
      } catch (IOException e) {
        // treat like EOF
      }
      Runtime.getRuntime().halt(3);
    }, "orphan-guard");
    orphanGuard.setDaemon(true);
    orphanGuard.start();

    PrintStream out = System.out;
    LedgerStore store = LedgerStore.open(Path.of(args[0]), ChainDriver.CHAIN.genesisHash(), Durability.GROUP);
    if (store.head().isEmpty()) {
      ChainDriver.commitGenesis(store, Durability.GROUP);
      out.println("committed 0");
    }
    out.println("open " + store.head().orElseThrow().height());
    out.flush();
    ChainDriver driver = new ChainDriver();
    while (true) {
      // batches of 1 to 4 blocks, as the node's event loop commits them: all or none survive
      // with a consensus record naming the batch's last height in the same write (as the event
      // loop writes its votes with small blocks): after a kill it must name the reopened head
      long from = store.head().orElseThrow().height();
      int count = 1 + (int) (from % 4);
      driver.commitBatch(store, count, Map.of(CONSENSUS_HEAD, Optional.of(height(from + count))), Durability.GROUP);
      out.println("committed " + store.head().orElseThrow().height());
      out.flush();
    }
  }
}
