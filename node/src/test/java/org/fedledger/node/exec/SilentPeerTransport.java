package org.fedledger.node.exec;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import org.fedledger.node.net.CloseReason;
import org.fedledger.node.net.PeerStatus;
import org.fedledger.node.net.PeerTransport;

/**
 * A transport for event-loop tests that connects nowhere: sends succeed, a broadcast reaches the
 * three other validators of a four-validator cluster; subclasses record what they need.
 */
abstract class SilentPeerTransport implements PeerTransport {
  @Override
  public void start(Listener listener) {
  }

  @Override
  public boolean send(int validator, ByteString payload) {
    return true;
  }

  @Override
  public int broadcast(ByteString payload) {
    return 3;
  }

  @Override
  public List<PeerStatus> peerStatus() {
    return List.of();
  }

  @Override
  public Map<CloseReason, Long> closedConnections() {
    return Map.of();
  }

  @Override
  public void close() {
  }
}
