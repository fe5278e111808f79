package org.fedledger.testnet.sim;

import java.util.List;

/**
 * One client's history in a run: its reputation score after each round (as stored on the
 * ledger), the round's verdict on its update, one letter per round ({@code S} selected,
 * {@code n} not selected (neutral), {@code F} filtered, {@code x} refused at admission, e.g.
 * suspended), and the round in which the task suspended it (0 = never).
 */
public record ClientTrace(String name, boolean attacker, List<Double> scores, String outcomes, int suspendedRound) {
  /** Copies the list. */
  public ClientTrace {
    scores = List.copyOf(scores);
  }
}
