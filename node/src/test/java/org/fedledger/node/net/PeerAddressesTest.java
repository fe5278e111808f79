package org.fedledger.node.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class PeerAddressesTest {
  @Test
  void parsesHostPortAndBracketedIpv6() {
    InetSocketAddress a = PeerAddresses.parse("127.0.0.1:26656");
    assertThat(a.getHostString()).isEqualTo("127.0.0.1");
    assertThat(a.getPort()).isEqualTo(26656);
    assertThat(a.isUnresolved()).isTrue();
    InetSocketAddress b = PeerAddresses.parse("[::1]:9000");
    assertThat(b.getHostString()).isEqualTo("::1");
    assertThat(b.getPort()).isEqualTo(9000);
    assertThat(PeerAddresses.parse("validator-0.example:1").getHostString()).isEqualTo("validator-0.example");
  }

  @Test
  void refusesBadAddressesNamingThem() {
    for (String bad : new String[] {"", "host", ":80", "host:", "host:http", "host:70000", "host:-1"}) {
      assertThatThrownBy(() -> PeerAddresses.parse(bad))
          .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + bad + "'");
    }
  }
}
