package org.fedledger.ledger.store;

/** An operating error of the store (disk full, I/O error, corrupt files), with the cause. */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An error described by {@code message}, caused by {@code cause}. */
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /** An error described by {@code message}. */
  public StoreException(String message) {
    super(message);
  }
}
