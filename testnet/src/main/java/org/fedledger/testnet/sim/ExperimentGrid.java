package org.fedledger.testnet.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.fedledger.proto.AggregationRule;
import org.fedledger.testnet.attack.AttackMode;

/**
 * The accuracy grid of the WDBC experiments: every attack mode under FedAvg and Multi-Krum
 * with reputation, at a given number of attackers, each cell the mean over the stratified
 * folds. {@link #main} prints it as a Markdown table.
 */
public final class ExperimentGrid {
  private ExperimentGrid() {}

  /** Attack modes of the grid, in table order. */
  public static final List<AttackMode> MODES = List.of(AttackMode.SIGN_FLIP, AttackMode.SCALING,
      AttackMode.MODEL_REPLACEMENT, AttackMode.GAUSSIAN_NOISE, AttackMode.LABEL_FLIP, AttackMode.ALIE, AttackMode.IPM);

  /** One cell: a mode, a rule (as labelled in the table) and an attacker count, run on every fold. */
  public record Cell(AttackMode mode, AggregationRule rule, String label, int attackers, List<ExperimentResult> runs) {
    /** Copies the list. */
    public Cell {
      runs = List.copyOf(runs);
    }

    /** Mean final accuracy over the folds. */
    public double accuracy() {
      return runs.stream().mapToDouble(ExperimentResult::finalAccuracy).average().orElseThrow();
    }

    /** Mean final AUC over the folds. */
    public double auc() {
      return runs.stream().mapToDouble(ExperimentResult::finalAuc).average().orElseThrow();
    }

    /** The latest round in which an attacker was suspended over all folds, or -1 if one never was. */
    public int lastAttackerSuspension() {
      int last = 0;
      for (ExperimentResult r : runs) {
        for (ClientTrace c : r.clients()) {
          if (c.attacker()) {
            if (c.suspendedRound() == 0) {
              return -1;
            }
            last = Math.max(last, c.suspendedRound());
          }
        }
      }
      return last;
    }

    /** Honest clients suspended, summed over the folds. */
    public int honestSuspended() {
      int count = 0;
      for (ExperimentResult r : runs) {
        for (ClientTrace c : r.clients()) {
          if (!c.attacker() && c.suspendedRound() > 0) {
            count++;
          }
        }
      }
      return count;
    }
  }

  /** Runs {@code mode} under {@code rule} with {@code attackers} of 20 clients on folds 0..folds-1. */
  public static Cell run(AttackMode mode, AggregationRule rule, int attackers, int folds) {
    String label = rule == AggregationRule.MULTI_KRUM ? "MULTI_KRUM + checks + reputation" : rule.name();
    return run(mode, rule, attackers, folds, label, UnaryOperator.identity());
  }

  /** As {@link #run(AttackMode, AggregationRule, int, int)}, each config changed by {@code variant}. */
  public static Cell run(AttackMode mode, AggregationRule rule, int attackers, int folds, String label,
      UnaryOperator<ExperimentConfig> variant) {
    List<ExperimentResult> runs = new ArrayList<>();
    for (int fold = 0; fold < folds; fold++) {
      runs.add(new Experiment(variant.apply(ExperimentConfig.standard(attackers, mode, rule, fold))).run());
    }
    return new Cell(mode, rule, label, attackers, runs);
  }

  /** The Markdown table of {@code cells}; the honest row first if present. */
  public static String table(List<Cell> cells) {
    StringBuilder b = new StringBuilder();
    b.append("| attack | attackers | rule | accuracy | AUC | attackers suspended by round | honest suspended |\n");
    b.append("|---|---|---|---|---|---|---|\n");
    for (Cell c : cells) {
      int last = c.lastAttackerSuspension();
      String suspended = c.attackers() == 0 ? "-" : last < 0 ? "not all" : Integer.toString(last);
      b.append(String.format(Locale.ROOT, "| %s | %d/20 | %s | %.2f %% | %.4f | %s | %d |%n", c.mode(), c.attackers(),
          c.label(), 100 * c.accuracy(),
          c.auc(), suspended, c.honestSuspended()));
    }
    return b.toString();
  }

  /** The reputation score of every client after each round of {@code run}, one line per client. */
  public static String trajectories(ExperimentResult run) {
    StringBuilder b = new StringBuilder();
    for (ClientTrace c : run.clients()) {
      b.append(String.format(Locale.ROOT, "%-12s %s ", c.name(), c.outcomes()));
      for (double s : c.scores()) {
        b.append(String.format(Locale.ROOT, " %.2f", s));
      }
      b.append(c.suspendedRound() > 0 ? "  suspended in round " + c.suspendedRound() : "").append('\n');
    }
    return b.toString();
  }

  /**
   * Prints the grid. Arguments: attacker counts (default {@code 6 8}, i.e. 30 % and 40 % of
   * 20); {@code -Dfl.folds=N} sets the folds (default 5, at most 5); the ALIE and IPM
   * ablations (no selection checks; colluders spreading their copies) are included unless
   * {@code -Dfl.ablation=false}.
   */
  public static void main(String[] args) {
    int folds = Integer.getInteger("fl.folds", ExperimentConfig.FOLDS);
    List<Integer> counts = new ArrayList<>();
    for (String a : args) {
      counts.add(Integer.parseInt(a));
    }
    if (counts.isEmpty()) {
      counts = List.of(6, 8);
    }
    List<Cell> cells = new ArrayList<>();
    cells.add(run(AttackMode.NONE, AggregationRule.FEDAVG, 0, folds));
    cells.add(run(AttackMode.NONE, AggregationRule.MULTI_KRUM, 0, folds));
    for (int attackers : counts) {
      for (AttackMode mode : MODES) {
        cells.add(run(mode, AggregationRule.FEDAVG, attackers, folds));
        cells.add(run(mode, AggregationRule.MULTI_KRUM, attackers, folds));
      }
    }
    if (Boolean.parseBoolean(System.getProperty("fl.ablation", "true"))) {
      for (int attackers : counts) {
        for (AttackMode mode : List.of(AttackMode.ALIE, AttackMode.IPM)) {
          cells.add(run(mode, AggregationRule.MULTI_KRUM, attackers, folds, "MULTI_KRUM + reputation, no checks",
              c -> c.withSelectionChecks(false)));
          cells.add(run(mode, AggregationRule.MULTI_KRUM, attackers, folds,
              "MULTI_KRUM + checks + reputation, colluders spread 0.5 sd", c -> c.withParams(c.params()
                  .withColluderSpread(0.5))));
        }
      }
    }
    System.out.print(table(cells));
  }
}
