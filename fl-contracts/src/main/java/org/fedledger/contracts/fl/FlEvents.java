package org.fedledger.contracts.fl;

import org.fedledger.proto.Attribute;

/** Small helpers for the FL contract's events. */
final class FlEvents {
  private FlEvents() {}

  static Attribute attr(String key, String value) {
    return Attribute.newBuilder().setKey(key).setValue(value).build();
  }
}
