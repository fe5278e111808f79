package org.fedledger.consensus.sim;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.fedledger.consensus.Drop;
import org.fedledger.consensus.Input;
import org.fedledger.consensus.Ready;
import org.fedledger.consensus.ReplicaConfig;
import org.fedledger.ledger.chain.Blocks;
import org.fedledger.ledger.crypto.Hash;
import org.fedledger.ledger.exec.ParsedTx;
import org.fedledger.proto.BlockRequest;
import org.fedledger.proto.BlockResponse;
import org.fedledger.proto.CertifiedBlock;
import org.fedledger.proto.ConsensusMessage;

/**
 * n simulated validators on a {@link SimNetwork} with a {@link SimClock}, all randomness from one
 * {@link SplittableRandom}(seed): the same seed replays the same run exactly.
 *
 * <p>After every event that changes committed state it checks, TigerBeetle-style: agreement (no
 * two honest validators commit different blocks or state roots at a height), integrity (every
 * committed transaction was submitted, and commits at most once per validator) and order
 * (heights contiguous and hash-linked). Byzantine validators run the honest replica code with
 * their outbound messages rewritten by their {@link Behavior}.
 */
public final class Cluster {
  /** Milliseconds per tick. */
  public static final long TICK_MILLIS = 10;

  final long seed;
  final int n;
  final int f;
  final SplittableRandom random;
  final SimClock clock = new SimClock();
  final SimNetwork net;
  final SimChain sim;
  final SimHost[][] hosts;
  final Behavior[] behavior;
  private final TreeMap<Long, Hash> agreedBlocks = new TreeMap<>();
  private final TreeMap<Long, Hash> agreedRoots = new TreeMap<>();
  /** Whether honest COMMITs for "view/sequence/hash" carry a signature (all must agree). */
  private final TreeMap<String, Boolean> commitShapes = new TreeMap<>();
  final TreeMap<Hash, ParsedTx> submitted = new TreeMap<>();
  private final ArrayDeque<Object[]> work = new ArrayDeque<>();
  private final long[] nonces = new long[8];
  double crashAfterPersistRate;
  /** What a crash does to unsynced consensus-log writes. */
  PowerLoss powerLoss = PowerLoss.NONE;
  /** Negative control only: restarts pretend a clean stop, so no replica abstains after losing votes. */
  boolean pretendCleanRestarts;
  /** The power-loss adversary's own randomness (independent of the network's and the plan's). */
  final SplittableRandom disk;
  /** Chance that an honest validator crashes right after sending a Ready whose records are not synced yet. */
  double crashAfterUnsyncedSendRate;
  long crashesAfterUnsyncedSend;
  /** Every PRE-PREPARE and PREPARE an honest validator sent, by "validator/view/sequence": the block hash. */
  private final TreeMap<String, ByteString> votes = new TreeMap<>();
  /** Honest validators restarted from an empty data directory: amnesia is a fault, their votes are not checked. */
  private final boolean[] amnesiac;
  long votesChecked;
  /** Negative control only: off, the "never votes two ways" invariant is not checked (the others still are). */
  boolean checkVotes = true;
  /** Negative control only: off, equivocation proofs against honest validators are not an error either. */
  boolean checkEvidence = true;
  long ticks;
  long events;
  /** Per validator: how it lies about view-change blocks (Byzantine validators only). */
  final ViewChangeLie[] lies;
  long viewChangeLies;
  long garbageSent;
  long garbageParsed;
  long equivocationsProved;
  long crashesAfterPersist;
  long certifiedCommits;
  long uncertifiedCommits;
  private final org.fedledger.consensus.Statements statements;
  private final java.util.TreeSet<ByteString> verifiedCertificates =
      new java.util.TreeSet<>(ByteString.unsignedLexicographicalComparator());

  private Cluster(long seed, int n, Behavior[] behavior, UnaryOperator<ReplicaConfig> tune) {
    this.seed = seed;
    this.n = n;
    this.f = (n - 1) / 3;
    this.random = new SplittableRandom(seed);
    this.net = new SimNetwork(random.split(), n);
    this.disk = new SplittableRandom(~seed);
    this.amnesiac = new boolean[n];
    this.sim = SimChain.of(n);
    this.statements = new org.fedledger.consensus.Statements(sim.chain);
    this.behavior = behavior.clone();
    this.lies = new ViewChangeLie[behavior.length];
    Arrays.fill(lies, ViewChangeLie.NONE);
    this.hosts = new SimHost[n][];
    for (int i = 0; i < n; i++) {
      ReplicaConfig c = tune.apply(ReplicaConfig.defaults(sim.chain, i, sim.validatorKeys.get(i))
          .withTimers(20, 320, 5, 10).withPipeline(4, 4)).validate();
      hosts[i] = behavior[i] == Behavior.TWINS
          ? new SimHost[] {new SimHost(i, 0, c, sim), new SimHost(i, 1, c, sim)}
          : new SimHost[] {new SimHost(i, 0, c, sim)};
    }
  }

  /** A cluster of {@code n} honest validators with default simulation timers. */
  public static Cluster of(int n, long seed) {
    Behavior[] b = new Behavior[n];
    Arrays.fill(b, Behavior.HONEST);
    return new Cluster(seed, n, b, c -> c);
  }

  /** A cluster of {@code n} honest validators with a configuration tweak. */
  public static Cluster of(int n, long seed, UnaryOperator<ReplicaConfig> tune) {
    Behavior[] b = new Behavior[n];
    Arrays.fill(b, Behavior.HONEST);
    return new Cluster(seed, n, b, tune);
  }

  /** A cluster with the given behaviours and configuration tweak. */
  public static Cluster of(long seed, Behavior[] behavior, UnaryOperator<ReplicaConfig> tune) {
    return new Cluster(seed, behavior.length, behavior, tune);
  }

  // ---------------------------------------------------------------- driving

  /** Runs {@code count} ticks: deliver due messages, then tick every running replica. */
  public void tick(int count) {
    for (int k = 0; k < count; k++) {
      clock.advance(TICK_MILLIS);
      ticks++;
      long now = clock.nowMillis();
      SimNetwork.Envelope e;
      while ((e = net.poll(now)) != null) {
        deliver(e);
      }
      for (int i = 0; i < n; i++) {
        for (SimHost h : hosts[i]) {
          if (h.up()) {
            feed(h, new Input.Tick(now));
          }
        }
      }
    }
  }

  /** Submits a new transaction of a random client to validator {@code to}; returns it. */
  public ParsedTx submit(int to) {
    int client = random.nextInt(nonces.length);
    ParsedTx tx = sim.tx(client, ++nonces[client]);
    submitted.put(tx.id(), tx);
    resubmit(tx, to);
    return tx;
  }

  /** Gives {@code tx} (again) to validator {@code to}, as a client that retries does. */
  public void resubmit(ParsedTx tx, int to) {
    for (SimHost h : hosts[to]) {
      if (h.up()) {
        feed(h, new Input.Request(tx));
      }
    }
  }

  private void deliver(SimNetwork.Envelope e) {
    SimHost h = hosts[e.to()][hosts[e.to()].length > 1 ? e.toCopy() : 0];
    if (!h.up()) {
      return;
    }
    ConsensusMessage msg = e.msg();
    if (e.garbage() != null) {
      try {
        msg = ConsensusMessage.parseFrom(e.garbage());
        garbageParsed++;
      } catch (InvalidProtocolBufferException unparsable) {
        return; // the transport drops what does not parse
      }
    }
    if (msg.getPayloadCase() == ConsensusMessage.PayloadCase.BLOCK_REQUEST) {
      serve(h, e.from(), msg.getBlockRequest());
      return;
    }
    if (lies[h.index] == ViewChangeLie.PHANTOM_PREPARED) {
      ConsensusMessage answer = Byzantine.servePhantom(h, msg);
      if (answer != null) {
        route(h, new Ready.Outbound(e.from(), answer));
        return;
      }
    }
    if (behavior[h.index] != Behavior.HONEST) {
      msg = Byzantine.inbound(behavior[h.index], this, h, e.from(), msg);
    }
    feed(h, new Input.Receive(e.from(), msg));
  }

  /** The driver's part of state transfer: answer from the store. */
  private void serve(SimHost h, int to, BlockRequest req) {
    BlockResponse.Builder b = BlockResponse.newBuilder().setHeadHeight(h.head.height());
    long from = Math.max(1, req.getFromHeight());
    int max = Math.min(Math.max(1, req.getCountMax()), 256);
    for (long height = from; height <= h.head.height() && b.getBlocksCount() < max; height++) {
      b.addBlocks(h.blocks.get((int) (height - 1)));
    }
    route(h, new Ready.Outbound(to, ConsensusMessage.newBuilder().setBlockResponse(b).build()));
  }

  void feed(SimHost h, Input input) {
    work.add(new Object[] {h, input});
    if (work.size() > 1) {
      return; // already draining
    }
    while (!work.isEmpty()) {
      Object[] w = work.peek();
      SimHost host = (SimHost) w[0];
      if (host.up()) {
        events++;
        Ready r;
        try {
          r = host.replica.step((Input) w[1]);
        } catch (RuntimeException bug) {
          throw fail("replica " + host.index + " threw on " + describe((Input) w[1]) + ": " + bug, bug);
        }
        handle(host, r);
        if (host.up()) {
          checkHead(host);
        }
      }
      work.poll();
    }
  }

  /** After every step: the replica's committed head is exactly what its host executed and stored. */
  private void checkHead(SimHost h) {
    var head = h.replica.committedHead();
    check(head.height() == h.head.height() && head.hash().equals(h.head.hash()),
        h + ": replica's committed head " + head.height() + " is not the stored head " + h.head.height());
  }

  private static String describe(Input in) {
    if (in instanceof Input.Receive r) {
      return "message from " + r.from() + " " + r.msg().getPayloadCase();
    }
    return in.getClass().getSimpleName();
  }

  private void handle(SimHost h, Ready r) {
    h.write(r);
    for (Ready.Equivocation e : r.evidence()) {
      check(!checkEvidence || behavior[e.leader()] != Behavior.HONEST || amnesiac[e.leader()], h + ": holds proof that honest validator "
          + e.leader() + " equivocated at view " + e.view() + " sequence " + e.sequence());
    }
    if (crashAfterPersistRate > 0 && !r.persist().isEmpty() && behavior[h.index] == Behavior.HONEST
        && random.nextDouble() < crashAfterPersistRate) {
      crashesAfterPersist++;
      h.crash(powerLoss, disk); // written, but nothing sent or committed: the restart must not vote two ways
      return;
    }
    for (Ready.Outbound o : r.send()) {
      if (behavior[h.index] == Behavior.HONEST && o.msg().hasCommit()) {
        checkCommitShape(h, o.msg().getCommit());
      }
      route(h, o);
    }
    if (crashAfterUnsyncedSendRate > 0 && !h.unsynced.isEmpty() && behavior[h.index] == Behavior.HONEST
        && disk.nextDouble() < crashAfterUnsyncedSendRate) {
      crashesAfterUnsyncedSend++;
      h.crash(powerLoss, disk); // its votes left, their records may be lost: the restart must not vote two ways
      return;
    }
    for (Ready.CommittedBlock c : r.commit()) {
      Hash root = commit(h, c);
      work.add(new Object[] {h, new Input.Executed(c.height(), Blocks.hash(c.block().getBlock()), root)});
    }
    equivocationsProved += r.evidence().size();
  }

  private Hash commit(SimHost h, Ready.CommittedBlock c) {
    CertifiedBlock cb = c.block();
    long height = SimHost.header(cb).getHeight();
    Hash hash = Blocks.hash(cb.getBlock());
    check(height == h.head.height() + 1, h + ": commits height " + height + " after " + h.head.height());
    check(SimHost.header(cb).getPreviousHash().equals(h.head.hash().bytes()),
        h + ": block " + height + " does not link to its parent");
    check(c.height() == height && cb.getCertificate().getBlockHash().equals(hash.bytes()),
        h + ": certificate does not name block " + height);
    boolean honest = behavior[h.index] == Behavior.HONEST;
    if (honest) {
      checkCertificate(h, cb, height, hash);
      for (ParsedTx t : c.txs()) {
        check(submitted.containsKey(t.id()), h + ": committed a transaction nobody submitted");
        check(!h.txIds.contains(t.id()), h + ": committed transaction " + t.id().shortHex() + " twice");
      }
    }
    Hash root = h.execute(cb, c.txs());
    if (honest) {
      Hash agreed = agreedBlocks.putIfAbsent(height, hash);
      if (agreed != null && !agreed.equals(hash)) {
        throw fail("AGREEMENT violated at height " + height + ": " + h + " committed " + hash.shortHex()
            + ", another honest validator " + agreed.shortHex(), null);
      }
      Hash agreedRoot = agreedRoots.putIfAbsent(height, root);
      check(agreedRoot == null || agreedRoot.equals(root), "state roots differ at height " + height);
    }
    return root;
  }

  /**
   * An honest validator's certificate has 2f+1 valid signatures (a certified block) or none; a
   * block at a multiple of K is always certified, so the chain's tail above its newest certified
   * block stays below K blocks (each block without signatures is followed by a certified one
   * within K, or is in that tail).
   */
  private void checkCertificate(SimHost h, CertifiedBlock cb, long height, Hash hash) {
    int k = h.config.checkpointIntervalBlocks();
    if (cb.getCertificate().getSignaturesCount() == 0) {
      check(height % k != 0, h + ": block " + height + " (a multiple of K = " + k + ") committed without signatures");
      int tail = uncertifiedTail(h) + 1;
      check(tail < k, h + ": " + tail + " blocks without signatures at the head, K = " + k);
      uncertifiedCommits++;
      return;
    }
    ByteString bytes = cb.getCertificate().toByteString();
    if (!verifiedCertificates.contains(bytes)) {
      check(statements.verifyCommit(cb.getCertificate(), height, hash), h + ": block " + height
          + " committed with a certificate that does not verify (" + cb.getCertificate().getSignaturesCount()
          + " signatures)");
      verifiedCertificates.add(bytes);
      if (verifiedCertificates.size() > 4096) {
        verifiedCertificates.pollFirst();
      }
    }
    certifiedCommits++;
  }

  /**
   * Honest validators agree whether a block is certified: their COMMITs for one (view, sequence,
   * block) all carry a signature or all carry none, whatever flags a Byzantine leader sent.
   */
  private void checkCommitShape(SimHost h, org.fedledger.proto.Commit c) {
    String key = c.getView() + "/" + c.getSequence() + "/" + Hash.of(c.getBlockHash()).hex();
    boolean signed = !c.getSignature().isEmpty();
    Boolean agreed = commitShapes.putIfAbsent(key, signed);
    check(agreed == null || agreed == signed, "CERTIFY AGREEMENT violated: " + h + " sends a "
        + (signed ? "signed" : "unsigned") + " COMMIT for " + key + ", another honest validator the other shape");
  }

  /** Blocks without signatures at the top of {@code h}'s chain. */
  static int uncertifiedTail(SimHost h) {
    int tail = 0;
    for (int i = h.blocks.size() - 1; i >= 0 && h.blocks.get(i).getCertificate().getSignaturesCount() == 0; i--) {
      tail++;
    }
    return tail;
  }

  /**
   * Invariant: an honest validator never sends two PRE-PREPAREs or PREPAREs of one view and
   * sequence for different blocks, across crashes and power failures (a replica that may have
   * forgotten a vote abstains). Validators restarted empty are exempt (amnesia is a fault).
   */
  private void checkVote(SimHost h, ConsensusMessage msg) {
    if (!checkVotes || behavior[h.index] != Behavior.HONEST || amnesiac[h.index]
        || !(msg.hasPrePrepare() || msg.hasPrepare())) {
      return;
    }
    long view = msg.hasPrePrepare() ? msg.getPrePrepare().getView() : msg.getPrepare().getView();
    long sequence = msg.hasPrePrepare() ? msg.getPrePrepare().getSequence() : msg.getPrepare().getSequence();
    ByteString hash = msg.hasPrePrepare() ? Blocks.hash(msg.getPrePrepare().getBlock()).bytes()
        : msg.getPrepare().getBlockHash();
    votesChecked++;
    ByteString before = votes.putIfAbsent(h.index + "/" + view + "/" + sequence, hash);
    check(before == null || before.equals(hash), "honest validator " + h.index + " voted for two blocks at view "
        + view + " sequence " + sequence + " (" + (msg.hasPrePrepare() ? "PRE-PREPARE" : "PREPARE") + ")");
  }

  /** True when honest validator {@code i} sent a PRE-PREPARE or PREPARE of {@code view} for {@code sequence}. */
  boolean voted(int i, long view, long sequence) {
    return votes.containsKey(i + "/" + view + "/" + sequence);
  }

  private void route(SimHost h, Ready.Outbound o) {
    checkVote(h, o.msg());
    int from = h.index;
    int fromSide = hosts[from].length > 1 ? h.copy : net.side[from];
    if (o.to() == Ready.Outbound.BROADCAST) {
      for (int to = 0; to < n; to++) {
        if (to != from) {
          sendOne(h, fromSide, to, o.msg());
        }
      }
    } else if (o.to() >= 0 && o.to() < n && o.to() != from) {
      sendOne(h, fromSide, o.to(), o.msg());
    }
  }

  private void sendOne(SimHost h, int fromSide, int to, ConsensusMessage msg) {
    boolean twin = hosts[to].length > 1;
    int toCopy = twin ? fromSide : 0;
    int toSide = twin ? toCopy : net.side[to];
    if (twin && (fromSide < 0 || fromSide > 1)) {
      return;
    }
    Behavior b = behavior[h.index];
    if (b == Behavior.HONEST || b == Behavior.TWINS) {
      net.send(clock.nowMillis(), h.index, fromSide, to, toSide, toCopy, msg, null);
      return;
    }
    List<ConsensusMessage> out = new ArrayList<>();
    for (ConsensusMessage m : Byzantine.rewrite(b, this, h, to, msg)) {
      out.addAll(Byzantine.lie(lies[h.index], this, h, m));
    }
    for (ConsensusMessage m : out) {
      byte[] garbage = null;
      if (b == Behavior.GARBAGE && random.nextBoolean()) {
        garbage = Byzantine.garbage(random, m);
        garbageSent++;
      }
      net.send(clock.nowMillis(), h.index, fromSide, to, toSide, toCopy, m, garbage);
    }
  }

  // ---------------------------------------------------------------- faults

  /** Cuts validator {@code i} off from every other. */
  public void isolate(int i) {
    net.side[i] = 2;
  }

  /** Splits validators into the two given sides. */
  public void partition(boolean[] sideB) {
    for (int i = 0; i < n; i++) {
      net.side[i] = sideB[i] ? 1 : 0;
    }
  }

  /** Reconnects everyone. */
  public void heal() {
    net.heal();
  }

  /** Holds back every message matching {@code what} (null: none), as an adversarial scheduler may. */
  public void censor(java.util.function.Predicate<ConsensusMessage> what) {
    net.censor = what;
  }

  /** Sets what the network does to messages. */
  public void network(NetFaults faults) {
    net.faults = faults;
  }

  /** Crashes validator {@code i} (every copy). */
  public void crash(int i) {
    for (SimHost h : hosts[i]) {
      if (h.up()) {
        h.crash(powerLoss, disk);
      }
    }
  }

  /** Stops validator {@code i} cleanly (every copy): all synced, the clean-stop marker written. */
  public void stopCleanly(int i) {
    for (SimHost h : hosts[i]) {
      if (h.up()) {
        h.stopCleanly();
      }
    }
  }

  /** Restarts validator {@code i} from its persisted state, or from an empty data directory. */
  public void restart(int i, boolean wipe) {
    for (SimHost h : hosts[i]) {
      if (!h.up()) {
        h.restart(wipe, pretendCleanRestarts);
        amnesiac[i] |= wipe;
      }
    }
  }

  // ---------------------------------------------------------------- observation

  /** The view most honest running replicas are in (the highest view held by at least f+1 of them). */
  public long view() {
    List<Long> views = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (behavior[i] == Behavior.HONEST && hosts[i][0].up()) {
        views.add(hosts[i][0].replica.view());
      }
    }
    views.sort(null);
    return views.isEmpty() ? -1 : views.get(Math.max(0, views.size() - (f + 1)));
  }

  /** The view of validator {@code i}. */
  public long view(int i) {
    return hosts[i][0].replica.view();
  }

  /** The committed (and executed) height of validator {@code i}. */
  public long height(int i) {
    return hosts[i][0].head.height();
  }

  /** The replica state of validator {@code i}, for assertions. */
  public org.fedledger.consensus.Replica replica(int i) {
    return hosts[i][0].replica;
  }

  /** True when every honest validator (running or not) committed every submitted transaction. */
  public boolean allCommitted() {
    for (int i = 0; i < n; i++) {
      if (behavior[i] == Behavior.HONEST && !hosts[i][0].txIds.containsAll(submitted.keySet())) {
        return false;
      }
    }
    return true;
  }

  /** Submitted transactions validator {@code i} has not committed. */
  public List<ParsedTx> pendingAt(int i) {
    List<ParsedTx> out = new ArrayList<>();
    for (ParsedTx t : submitted.values()) {
      if (!hosts[i][0].txIds.contains(t.id())) {
        out.add(t);
      }
    }
    return out;
  }

  /** Drops of every running replica, summed by reason. */
  public TreeMap<Drop, Long> drops() {
    TreeMap<Drop, Long> out = new TreeMap<>();
    for (SimHost[] copies : hosts) {
      for (SimHost h : copies) {
        if (h.up()) {
          h.replica.dropCounts().forEach((k, v) -> out.merge(k, v, Long::sum));
        }
      }
    }
    return out;
  }

  /** The one-line command that replays this run. */
  public String replayCommand() {
    return SeedsTest.replayCommand(seed);
  }

  void check(boolean ok, String what) {
    if (!ok) {
      throw fail(what, null);
    }
  }

  AssertionError fail(String what, Throwable cause) {
    AssertionError e = new AssertionError("seed " + seed + " at tick " + ticks + ": " + what + "\n  replay: "
        + replayCommand(), cause);
    return e;
  }

  /** Arbitrary bytes for garbage messages. */
  static ByteString bytes(SplittableRandom random, int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) random.nextInt(256);
    }
    return ByteString.copyFrom(b);
  }
}
