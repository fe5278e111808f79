package org.fedledger.ledger.store;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The child process of {@link CrashRecoveryTest}: opens the store, commits the genesis block if
 * the store is empty, then commits batches of 1 to 4 blocks as fast as it can until it is killed.
 * After each commit returns it prints {@code committed <height>}, so the parent knows a lower bound of
 * what must survive the kill. Exits by itself when its parent goes away (stdin closes).
 */
public final class CrashChild {
  private CrashChild() {}

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
      driver.commitBatch(store, 1 + (int) (store.head().orElseThrow().height() % 4), Durability.GROUP);
      out.println("committed " + store.head().orElseThrow().height());
      out.flush();
    }
  }
}
