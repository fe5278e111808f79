package org.fedledger.testnet.sim;

import java.util.List;
import org.fedledger.testnet.fl.Evaluation;

/** A run's global-model evaluation after each round and every client's reputation trace. */
public record ExperimentResult(ExperimentConfig config, List<Evaluation> rounds, List<ClientTrace> clients) {
  /** Copies the lists. */
  public ExperimentResult {
    rounds = List.copyOf(rounds);
    clients = List.copyOf(clients);
  }

  /** Accuracy of the last global model. */
  public double finalAccuracy() {
    return rounds.get(rounds.size() - 1).accuracy();
  }

  /** AUC of the last global model. */
  public double finalAuc() {
    return rounds.get(rounds.size() - 1).auc();
  }
}
