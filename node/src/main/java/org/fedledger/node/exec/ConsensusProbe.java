package org.fedledger.node.exec;

/**
 * Timestamps of consensus milestones at one validator, for measurement (the cluster benchmarks
 * time a block from its PRE-PREPARE to its commit at 2f+1 validators with it). Called on the
 * validator's event-loop thread: implementations must be quick and thread-safe.
 */
public interface ConsensusProbe {
  /** A probe that records nothing. */
  ConsensusProbe NONE = new ConsensusProbe() {
    @Override
    public void prePrepareSent(int validator, long view, long sequence, long nanoTime) { }

    @Override
    public void blockStored(int validator, long height, long nanoTime) { }
  };

  /** {@code validator}, as leader, handed its PRE-PREPARE for {@code sequence} to the transport. */
  void prePrepareSent(int validator, long view, long sequence, long nanoTime);

  /** {@code validator} executed and stored block {@code height}. */
  void blockStored(int validator, long height, long nanoTime);
}
