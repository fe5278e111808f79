package org.fedledger.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedledger.proto.ConsensusMessage;
import org.fedledger.proto.NewView;
import org.fedledger.proto.NewViewBody;
import org.junit.jupiter.api.Test;

/** VIEW-CHANGE and NEW-VIEW by hand: leader 0 is silent, 1..3 move to view 1; NEW-VIEW is checked by all. */
class ViewChangeTest {

  /** Replicas 1..3 time out with a pending transaction; returns their VIEW-CHANGE messages. */
  private static List<ConsensusMessage> timeOut(Replica[] r) {
    List<ConsensusMessage> vcs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      r[i].step(new Input.Request(ReplicaTest.SIM.tx(7, i)));
      long t = ReplicaTest.NOW;
      for (int k = 0; k < 25 && !r[i].isViewChanging(); k++) {
        for (Ready.Outbound o : r[i].step(new Input.Tick(t += 10)).send()) {
          if (o.msg().hasViewChange()) {
            vcs.add(o.msg());
          }
        }
      }
    }
    return vcs;
  }

  private static Replica[] replicas() {
    Replica[] r = new Replica[4];
    for (int i = 0; i < 4; i++) {
      r[i] = ReplicaTest.replica(i);
    }
    return r;
  }

  /** Gives replica 1 (leader of view 1) the VIEW-CHANGEs of 2 and 3; returns its NEW-VIEW. */
  private static NewView newViewFrom1(Replica[] r, List<ConsensusMessage> vcs) {
    NewView nv = null;
    for (int k = 1; k < vcs.size(); k++) {
      for (Ready.Outbound o : r[1].step(new Input.Receive(k + 1, vcs.get(k))).send()) {
        if (o.msg().hasNewView()) {
          nv = o.msg().getNewView();
        }
      }
    }
    return nv;
  }

  @Test
  void theNewLeaderDecidesAndEveryReplicaInstallsTheView() {
    Replica[] r = replicas();
    List<ConsensusMessage> vcs = timeOut(r);
    assertThat(vcs).hasSize(3);
    NewView nv = newViewFrom1(r, vcs);
    assertThat(nv).isNotNull();
    assertThat(r[1].view()).isEqualTo(1);
    assertThat(r[1].isViewChanging()).isFalse();
    r[2].step(new Input.Receive(1, ConsensusMessage.newBuilder().setNewView(nv).build()));
    assertThat(r[2].view()).isEqualTo(1);
    assertThat(r[2].isViewChanging()).isFalse();
    // replica 0 was never part of it: the NEW-VIEW alone brings it to view 1
    r[0].step(new Input.Receive(2, ConsensusMessage.newBuilder().setNewView(nv).build()));
    assertThat(r[0].view()).isEqualTo(1);
  }

  @Test
  void aNewViewWithTooFewViewChangesIsRefused() throws Exception {
    Replica[] r = replicas();
    NewView nv = newViewFrom1(r, timeOut(r));
    NewViewBody body = NewViewBody.parseFrom(nv.getBody());
    NewViewBody cut = body.toBuilder().removeViewChanges(0).build(); // 2 < 2f+1
    ByteString bytes = cut.toByteString();
    NewView forged = NewView.newBuilder().setBody(bytes).setSignature(ReplicaTest.key(1).sign(bytes)).build();
    r[3].step(new Input.Receive(1, ConsensusMessage.newBuilder().setNewView(forged).build()));
    assertThat(r[3].view()).isEqualTo(1);
    assertThat(r[3].isViewChanging()).as("still waiting for a valid NEW-VIEW").isTrue();
    assertThat(r[3].dropCounts()).containsKey(Drop.INVALID_NEW_VIEW);
  }

  @Test
  void aNewViewSignedByAnotherValidatorIsRefused() {
    Replica[] r = replicas();
    NewView nv = newViewFrom1(r, timeOut(r));
    NewView forged = nv.toBuilder().setSignature(ReplicaTest.key(2).sign(nv.getBody())).build();
    r[3].step(new Input.Receive(2, ConsensusMessage.newBuilder().setNewView(forged).build()));
    assertThat(r[3].isViewChanging()).isTrue();
    assertThat(r[3].dropCounts()).containsKey(Drop.INVALID_NEW_VIEW);
  }

  @Test
  void fPlusOneViewChangesPullALaggingReplicaIntoTheViewChange() {
    Replica[] r = replicas();
    List<ConsensusMessage> vcs = timeOut(r);
    r[0].step(new Input.Receive(1, vcs.get(0)));
    assertThat(r[0].isViewChanging()).isFalse();
    r[0].step(new Input.Receive(2, vcs.get(1))); // f+1 = 2 validators want view 1
    assertThat(r[0].isViewChanging()).isTrue();
    assertThat(r[0].view()).isEqualTo(1);
    assertThat(r[0].viewChangeCauses()).containsExactly(java.util.Map.entry(ViewChangeCause.JOINED_F_PLUS_ONE, 1L));
  }

  @Test
  void eachViewChangeIsCountedByItsCause() {
    Replica[] r = replicas();
    timeOut(r);
    for (int i = 1; i <= 3; i++) {
      assertThat(r[i].viewChangeCauses()).as("replica " + i)
          .containsExactly(java.util.Map.entry(ViewChangeCause.PROGRESS_TIMEOUT, 1L));
    }
    // replica 3 has 2f+1 view changes for view 1 (its own, 1's and 2's) but no NEW-VIEW comes: it moves on
    List<ConsensusMessage> vcs = timeOut(replicas()); // fresh VIEW-CHANGEs from an identical run
    r[3].step(new Input.Receive(1, vcs.get(0)));
    r[3].step(new Input.Receive(2, vcs.get(1)));
    long t = ReplicaTest.NOW + 10_000;
    for (int k = 0; k < 200 && r[3].view() == 1; k++) {
      r[3].step(new Input.Tick(t += 10));
    }
    assertThat(r[3].view()).isEqualTo(2);
    assertThat(r[3].viewChangeCauses()).containsEntry(ViewChangeCause.PROGRESS_TIMEOUT, 1L)
        .containsEntry(ViewChangeCause.NEW_VIEW_TIMEOUT, 1L);
    assertThat(r[3].viewChangesStarted()).isEqualTo(2);
  }
}
