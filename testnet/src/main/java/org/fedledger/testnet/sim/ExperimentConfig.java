package org.fedledger.testnet.sim;

import org.fedledger.proto.AggregationRule;
import org.fedledger.testnet.attack.AttackMode;
import org.fedledger.testnet.attack.AttackParams;

/**
 * One FL run on WDBC: {@code clients} hospitals on Dirichlet({@code alpha}) label-skewed
 * shards, the first {@code attackers} of them Byzantine in {@code mode}, {@code rounds} rounds
 * under {@code rule}, stratified fold {@code fold} of 5 held out, everything seeded by {@code
 * seed}; {@code selectionChecks} switches the task's collusion and direction checks (Krum
 * rules).
 */
public record ExperimentConfig(int clients, int attackers, AttackMode mode, AggregationRule rule, int rounds,
    int fold, long seed, double alpha, AttackParams params, boolean selectionChecks) {
  /** Folds of the stratified split. */
  public static final int FOLDS = 5;

  /** Checks ranges. */
  public ExperimentConfig {
    if (clients < 1 || attackers < 0 || attackers >= clients || rounds < 1 || fold < 0 || fold >= FOLDS
        || !(alpha > 0)) {
      throw new IllegalArgumentException("bad experiment config");
    }
    if ((attackers == 0) != (mode == AttackMode.NONE)) {
      throw new IllegalArgumentException("attackers > 0 exactly when mode is not NONE");
    }
  }

  /** The experiments' standard setting: 20 clients, Dirichlet(1.0), 20 rounds. */
  public static ExperimentConfig standard(int attackers, AttackMode mode, AggregationRule rule, int fold) {
    return new ExperimentConfig(20, attackers, mode, rule, 20, fold, 2026L + fold, 1.0, AttackParams.standard(), true);
  }

  /** This config with other attack strengths. */
  public ExperimentConfig withParams(AttackParams p) {
    return new ExperimentConfig(clients, attackers, mode, rule, rounds, fold, seed, alpha, p, selectionChecks);
  }

  /** This config with the task's selection checks on or off (an ablation). */
  public ExperimentConfig withSelectionChecks(boolean on) {
    return new ExperimentConfig(clients, attackers, mode, rule, rounds, fold, seed, alpha, params, on);
  }

  /** Byzantine count f the task assumes: the number of attackers (0 for FedAvg). */
  public int assumedF() {
    return rule == AggregationRule.FEDAVG ? 0 : attackers;
  }
}
