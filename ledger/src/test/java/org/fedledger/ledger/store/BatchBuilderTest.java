package org.fedledger.ledger.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedledger.proto.Receipt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/** {@link BatchBuilder} builds byte for byte the batch RocksDB's own WriteBatch calls build, and RocksDB applies it. */
class BatchBuilderTest {
  @TempDir Path dir;

  @Test
  void theBatchIsTheOneRocksDbBuildsAndItApplies() throws Exception {
    RocksDB.loadLibrary();
    try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        ColumnFamilyOptions cfo = new ColumnFamilyOptions()) {
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfo));
      for (int i = 1; i <= 200; i++) { // family ids past one varint byte
        descriptors.add(new ColumnFamilyDescriptor(("cf" + i).getBytes(StandardCharsets.UTF_8), cfo));
      }
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles);
          WriteOptions wo = new WriteOptions()) {
        Random random = new Random(7);
        BatchBuilder ours = new BatchBuilder();
        List<byte[][]> expected = new ArrayList<>(); // family index, key, value (null: deleted)
        try (WriteBatch theirs = new WriteBatch()) {
          int[] lengths = {0, 1, 127, 128, 300, 16_383, 16_384, 70_000};
          for (int round = 0; round < 40; round++) {
            int f = round % 3 == 0 ? 0 : 1 + random.nextInt(200);
            ColumnFamilyHandle cf = handles.get(f);
            byte[] key = bytes(random, 1 + lengths[random.nextInt(lengths.length)]);
            byte[] value = bytes(random, lengths[random.nextInt(lengths.length)]);
            switch (round % 4) {
              case 0 -> {
                ours.put(cf, key, value);
                theirs.put(cf, key, value);
              }
              case 1 -> {
                ours.put(cf, key, ByteString.copyFrom(value));
                theirs.put(cf, key, value);
              }
              case 2 -> {
                Receipt r = Receipt.newBuilder().setHeight(round).setTxId(ByteString.copyFrom(value)).build();
                value = r.toByteArray();
                ours.put(cf, key, r);
                theirs.put(cf, key, value);
              }
              default -> {
                ours.delete(cf, key);
                theirs.delete(cf, key);
                value = null;
              }
            }
            expected.add(new byte[][] {{(byte) f}, key, value});
          }
          assertThat(ours.count()).isEqualTo(40).isEqualTo(theirs.count());
          assertThat(ours.toBytes()).isEqualTo(theirs.data());
        }
        try (WriteBatch batch = ours.build()) {
          db.write(wo, batch);
        }
        for (int i = 0; i < expected.size(); i++) {
          byte[][] e = expected.get(i);
          boolean overwritten = false;
          for (int j = i + 1; j < expected.size(); j++) {
            overwritten |= expected.get(j)[0][0] == e[0][0] && java.util.Arrays.equals(expected.get(j)[1], e[1]);
          }
          if (!overwritten) {
            assertThat(db.get(handles.get(e[0][0] & 0xff), e[1])).as("record %d", i).isEqualTo(e[2]);
          }
        }
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
  }

  @Test
  void anEmptyBatchWritesNothing() {
    assertThat(new BatchBuilder().toBytes()).hasSize(12).containsOnly(0);
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
