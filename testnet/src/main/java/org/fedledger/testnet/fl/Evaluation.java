package org.fedledger.testnet.fl;

/** Accuracy and ROC AUC (malignant as the positive class) of a model on a test set. */
public record Evaluation(double accuracy, double auc) {}
