package org.fedledger.consensus;

/**
 * Which blocks get a CommitCertificate with signatures ("certified" blocks), in one place.
 *
 * <p>COMMITs travel over the mutually authenticated peer channel, so a replica counts a COMMIT
 * towards the 2f+1 commit quorum without a signature (as Castro-Liskov's MAC authenticators and
 * BFT-SMaRt's TLS channels do). Signatures are needed only for what a third party must believe:
 * a block's finality. So replicas sign their COMMIT only for a <em>certified</em> block, whose
 * certificate carries 2f+1 verified signatures; any other block is committed with a certificate
 * that names it (view, height, hash) but has no signatures, and is proved final by the
 * certificate of the first certified block above it plus the header hash chain (FinalityProof).
 *
 * <p>A block is certified iff its sequence is a multiple of the checkpoint interval K (so a
 * loaded chain has one at least every K blocks, whatever the leader does) or the PRE-PREPARE
 * accepted for it in the voting view asked for it ({@code PrePrepare.certify}). An honest leader
 * asks for it ({@link #leaderAsks}) on
 * <ul>
 *   <li>the last block of a burst: after taking the block's transactions its mempool has nothing
 *       further it could propose now (so an idle chain's head is certified);</li>
 *   <li>its first proposal in a view;</li>
 *   <li>the last NEW-VIEW re-proposal (re-proposals carry no PRE-PREPARE: every replica applies
 *       this rule itself when it installs the NEW-VIEW, see {@link #reProposalCertified}).</li>
 * </ul>
 */
final class Certification {
  private Certification() {}

  /** True when the block at {@code sequence} is certified: K divides it or its PRE-PREPARE asked. */
  static boolean certified(long sequence, int checkpointIntervalBlocks, boolean certifyAsked) {
    return certifyAsked || Math.floorMod(sequence, (long) checkpointIntervalBlocks) == 0;
  }

  /**
   * The leader's PrePrepare.certify for a block it proposes now.
   *
   * @param firstInView no other block was proposed by this leader in this view yet
   * @param burstEnds after taking this block's transactions, the mempool has none left to propose
   */
  static boolean leaderAsks(boolean firstInView, boolean burstEnds) {
    return firstInView || burstEnds;
  }

  /** Whether the re-proposal at position {@code index} of {@code count} NEW-VIEW re-proposals is certified. */
  static boolean reProposalCertified(int index, int count) {
    return index == count - 1;
  }
}
