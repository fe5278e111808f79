package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import org.fedledger.ledger.crypto.Keys;

/**
 * The FL contract's state keys (UTF-8). Numbers are zero-padded to 20 digits so that the
 * ledger's unsigned-lexicographic key order is numeric order; participants are lower-case
 * hex of their 32-byte public key. Task ids never contain '/' (see {@link TaskRules}).
 */
public final class FlKeys {
  private FlKeys() {}

  /** The contract's name and key namespace. */
  public static final String NAME = "fl";

  /** fl/task/&lt;task&gt; → TaskState. */
  public static ByteString task(String taskId) {
    return utf8("fl/task/" + taskId);
  }

  /** Prefix of every task record. */
  public static ByteString taskPrefix() {
    return utf8("fl/task/");
  }

  /** fl/round/&lt;task&gt;/&lt;round&gt; → RoundState. */
  public static ByteString round(String taskId, long round) {
    return utf8("fl/round/" + taskId + "/" + pad(round));
  }

  /** fl/update/&lt;task&gt;/&lt;round&gt;/&lt;participant&gt; → StoredUpdate (open rounds only). */
  public static ByteString update(String taskId, long round, ByteString participant) {
    return utf8("fl/update/" + taskId + "/" + pad(round) + "/" + Keys.hex(participant));
  }

  /** fl/model/&lt;task&gt;/&lt;version&gt; → GlobalModel. */
  public static ByteString model(String taskId, long version) {
    return utf8("fl/model/" + taskId + "/" + pad(version));
  }

  /** fl/rep/&lt;task&gt;/&lt;participant&gt; → ReputationRecord. */
  public static ByteString reputation(String taskId, ByteString participant) {
    return utf8("fl/rep/" + taskId + "/" + Keys.hex(participant));
  }

  /** Prefix of a task's reputation records, in participant order. */
  public static ByteString reputationPrefix(String taskId) {
    return utf8("fl/rep/" + taskId + "/");
  }

  /** fl/balance/&lt;participant&gt; → Balance. */
  public static ByteString balance(ByteString participant) {
    return utf8("fl/balance/" + Keys.hex(participant));
  }

  /** fl/open/&lt;task&gt; → empty: the tasks whose current round is open (end-of-block work). */
  public static ByteString open(String taskId) {
    return utf8("fl/open/" + taskId);
  }

  /** Prefix of the open-round index. */
  public static ByteString openPrefix() {
    return utf8("fl/open/");
  }

  /** The task id of an open-index key. */
  public static String taskOfOpenKey(ByteString key) {
    return key.substring(openPrefix().size()).toStringUtf8();
  }

  private static String pad(long n) {
    String s = Long.toUnsignedString(n);
    return "0".repeat(20 - s.length()) + s;
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
