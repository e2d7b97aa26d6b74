package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safetensors reader: F16 and BF16 convert exactly, offsets past 2 GB work, loaded tensors own
 * their memory (the file may change under them), and malformed payloads are refused with one exception type.
 */
class SafeTensorsTest {
  private static final UnaryOperator<String> ALL = n -> n;

  @Test
  void everyHalfPrecisionValueConvertsExactly() {
    short[] halves = new short[65536];
    for (int i = 0; i < halves.length; i++) {
      halves[i] = (short) i;
    }
    ByteBuffer data = ByteBuffer.allocate(2 * halves.length).order(ByteOrder.LITTLE_ENDIAN);
    for (short h : halves) {
      data.putShort(h);
    }
    byte[] f16 = payload("F16", new long[] {halves.length}, data.array());
    ByteBuffer bdata = ByteBuffer.allocate(2 * halves.length).order(ByteOrder.LITTLE_ENDIAN);
    for (short h : halves) {
      bdata.putShort(h);
    }
    byte[] bf16 = payload("BF16", new long[] {halves.length}, bdata.array());
    try (NDManager m = manager()) {
      float[] fromF16 = SafeTensors.decode(f16, ALL, m).get("t").toFloatArray();
      float[] fromBf16 = SafeTensors.decode(bf16, ALL, m).get("t").toFloatArray();
      for (int i = 0; i < halves.length; i++) {
        float expected = halfToFloat(halves[i]);
        assertTrue(sameValue(expected, fromF16[i]), "f16 0x" + Integer.toHexString(i) + ": " + fromF16[i] + " vs " + expected);
        float expectedB = Float.intBitsToFloat(i << 16);
        assertTrue(sameValue(expectedB, fromBf16[i]), "bf16 0x" + Integer.toHexString(i));
      }
    }
  }

  @Test
  void tensorsPastTwoGigabytesOfAFileAreRead(@TempDir Path dir) throws Exception {
    // A sparse file: 2.4 GB of a skipped tensor (never read, never on disk), then a small one.
    long big = 600_000_000L;
    String header = "{\"skipped\":{\"dtype\":\"F32\",\"shape\":[" + big + "],\"data_offsets\":[0," + 4 * big + "]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + 4 * big + "," + (4 * big + 8) + "]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    Path file = dir.resolve("model.safetensors");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
      f.write(head.array());
      f.write(h);
      f.seek(8 + h.length + 4 * big);
      f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array());
    }
    try (NDManager m = manager()) {
      Map<String, NDArray> got = SafeTensors.read(file, n -> n.equals("w") ? n : null, m);
      assertEquals(1, got.size());
      assertArrayEquals(new float[] {1.5f, -2f}, got.get("w").toFloatArray());
    }
  }

  @Test
  void loadedTensorsOwnTheirMemory(@TempDir Path dir) throws Exception {
    ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).putFloat(4);
    Path file = dir.resolve("model.safetensors");
    Files.write(file, payload("F32", new long[] {2, 2}, data.array()));
    try (NDManager m = manager()) {
      NDArray t = SafeTensors.read(file, ALL, m).get("t");
      Files.write(file, new byte[Math.toIntExact(Files.size(file))]); // the learner prunes old checkpoints
      Files.delete(file);
      System.gc();
      t.addi(t); // and the optimiser updates weights in place
      assertArrayEquals(new float[] {2, 4, 6, 8}, t.toFloatArray());
    }
  }

  @Test
  void malformedPayloadsAreRefusedWithOneExceptionType() {
    byte[] good = payload("F32", new long[] {2}, new byte[8]);
    try (NDManager m = manager()) {
      assertEquals(1, SafeTensors.decode(good, ALL, m).size());
      for (byte[] bad : new byte[][] {
          new byte[] {1, 2, 3},
          java.util.Arrays.copyOf(good, good.length - 1), // data cut short
          java.util.Arrays.copyOf(good, 20), // header cut short
          payload("F32", new long[] {3}, new byte[8]), // shape does not match the offsets
          payload("I64", new long[] {1}, new byte[8]), // not a floating type
          withHeader("[1, 2]", new byte[0]),
          withHeader("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", new byte[8]),
          withHeader("not json at all", new byte[0])}) {
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.decode(bad, ALL, m));
      }
      assertEquals(0, SafeTensors.decode(payload("I64", new long[] {1}, new byte[8]), n -> null, m).size(),
          "a skipped tensor is never converted");
    }
  }

  private static NDManager manager() {
    BaseModel.engineDefaults();
    return NDManager.newBaseManager("PyTorch");
  }

  private static byte[] payload(String dtype, long[] shape, byte[] data) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(dims.length() == 0 ? "" : ",").append(d);
    }
    return withHeader("{\"__metadata__\":{\"format\":\"pt\"},\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + dims
        + "],\"data_offsets\":[0," + data.length + "]}}", data);
  }

  private static byte[] withHeader(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(h.length).put(h).put(data).array();
  }

  /** IEEE 754 binary16 to binary32, from the definition. */
  private static float halfToFloat(short h) {
    int sign = (h >> 15) & 1;
    int exp = (h >> 10) & 0x1F;
    int mant = h & 0x3FF;
    double v;
    if (exp == 0) {
      v = mant * Math.pow(2, -24);
    } else if (exp == 31) {
      v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else {
      v = (1 + mant / 1024.0) * Math.pow(2, exp - 15);
    }
    return (float) (sign == 1 ? -v : v);
  }

  private static boolean sameValue(float a, float b) {
    return Float.isNaN(a) ? Float.isNaN(b) : Float.floatToIntBits(a) == Float.floatToIntBits(b);
  }
}
