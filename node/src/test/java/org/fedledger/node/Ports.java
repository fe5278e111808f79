package org.fedledger.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Finds a base port whose testnet ranges (base+i, +100, +200) are free on loopback. */
public final class Ports {
  private Ports() {}

  /** A base port for {@code n} validators. */
  public static int freeBase(int n) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + ThreadLocalRandom.current().nextInt(30_000);
      if (allFree(base, n)) {
        return base;
      }
    }
    throw new IllegalStateException("no free port range found");
  }

  private static boolean allFree(int base, int n) {
    for (int range = 0; range <= 200; range += 100) {
      for (int i = 0; i < n; i++) {
        try (ServerSocket s = new ServerSocket(base + range + i, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          return false;
        }
      }
    }
    return true;
  }
}
