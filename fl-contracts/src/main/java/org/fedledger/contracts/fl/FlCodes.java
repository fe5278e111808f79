package org.fedledger.contracts.fl;

/**
 * Receipt codes of the FL contract's refusals. Each refusal has its own code so that clients
 * and auditors can tell exactly why an update or a task was refused.
 */
public final class FlCodes {
  private FlCodes() {}

  /** The signer is not an active ADMIN. */
  public static final String NOT_ADMIN = "NOT_ADMIN";
  /** A task with this id exists already. */
  public static final String TASK_EXISTS = "TASK_EXISTS";
  /** The CreateTask parameters are inconsistent or out of range. */
  public static final String INVALID_TASK = "INVALID_TASK";
  /** No task with this id. */
  public static final String UNKNOWN_TASK = "UNKNOWN_TASK";
  /** The signer is not a registered HOSPITAL/EDGE/DEVICE permitted on the task. */
  public static final String NOT_PERMITTED = "NOT_PERMITTED";
  /** The signer is suspended in the registry or on this task. */
  public static final String SUSPENDED = "SUSPENDED";
  /** The update names a round other than the task's open round. */
  public static final String WRONG_ROUND = "WRONG_ROUND";
  /** The update was trained from a model version other than the round's base. */
  public static final String STALE_BASE = "STALE_BASE";
  /** The weights do not hold exactly 4 bytes per model parameter. */
  public static final String WRONG_LENGTH = "WRONG_LENGTH";
  /** A weight (or metric) is NaN or infinite, or a delta overflows float32. */
  public static final String NON_FINITE = "NON_FINITE";
  /** The L2 norm of the update's change to the base model exceeds the task's bound. */
  public static final String NORM_TOO_LARGE = "NORM_TOO_LARGE";
  /** The participant already has an accepted update in this round. */
  public static final String DUPLICATE_UPDATE = "DUPLICATE_UPDATE";
  /** The sample count is zero. */
  public static final String ZERO_SAMPLES = "ZERO_SAMPLES";
  /** The update is larger than the contract accepts (weights or metrics). */
  public static final String OVERSIZE = "OVERSIZE";
  /** The round already holds max_updates updates. */
  public static final String ROUND_FULL = "ROUND_FULL";
  /** An ADMIN close of a round with too few updates for the rule under a WAIT policy. */
  public static final String INSUFFICIENT_UPDATES = "INSUFFICIENT_UPDATES";
}
