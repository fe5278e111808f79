package org.fedledger.contracts.fl;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.fedledger.ledger.crypto.Hash;

/** Packed little-endian IEEE-754 float32 weights, as they travel and are stored. */
public final class Weights {
  private Weights() {}

  /** Unpacks {@code packed}, whose size must be a multiple of 4. Bits are kept as they are. */
  public static float[] unpack(ByteString packed) {
    if (packed.size() % 4 != 0) {
      throw new IllegalArgumentException("packed float32 size not a multiple of 4: " + packed.size());
    }
    FloatBuffer fb = packed.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] out = new float[fb.remaining()];
    fb.get(out);
    return out;
  }

  /** Packs {@code values} little-endian. */
  public static ByteString pack(float[] values) {
    ByteBuffer bb = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.asFloatBuffer().put(values);
    return ByteString.copyFrom(bb.array());
  }

  /** SHA-256 over the packed bytes: a model version's identity. */
  public static Hash hash(float[] values) {
    return Hash.sha256(pack(values));
  }

  /** Index of the first NaN or infinite value, or -1 when every value is finite. */
  public static int firstNonFinite(float[] values) {
    for (int k = 0; k < values.length; k++) {
      if (!Float.isFinite(values[k])) {
        return k;
      }
    }
    return -1;
  }
}
