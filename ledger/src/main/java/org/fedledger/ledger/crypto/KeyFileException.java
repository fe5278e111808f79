package org.fedledger.ledger.crypto;

/** A key file that cannot be read or written; the message names the path and the problem. */
public final class KeyFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure described by {@code message}. */
  public KeyFileException(String message) {
    super(message);
  }

  /** A failure described by {@code message}, caused by {@code cause}. */
  public KeyFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
