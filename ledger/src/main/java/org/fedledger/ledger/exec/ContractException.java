package org.fedledger.ledger.exec;

/**
 * A contract's refusal of a transaction. {@code code} is machine-readable (upper snake case,
 * e.g. {@code WRONG_ROUND}); the message is for people.
 */
public final class ContractException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String code;

  /** A refusal with a machine-readable {@code code} and a human-readable {@code reason}. */
  public ContractException(String code, String reason) {
    super(reason, null, false, false);
    if (code == null || code.isEmpty()) {
      throw new IllegalArgumentException("a refusal needs a code");
    }
    this.code = code;
  }

  /** The machine-readable reason code. */
  public String code() {
    return code;
  }
}
