package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Reads the safetensors format into float32 arrays: bytes (a weights payload), one file, or a sharded
 * model directory ({@code model.safetensors.index.json}). Files are memory-mapped tensor by tensor, so
 * neither a file nor the sum of a shard's tensors is limited to 2 GB (DJL's own decoder has int offsets),
 * and nothing is read for tensors the caller skips. F32, F16 and F64 are converted by libtorch; BF16 (which
 * DJL cannot create from a buffer) in Java, exactly: a bfloat16 is the top half of a float32.
 *
 * <p>Format: an 8-byte little-endian header length, a JSON header naming each tensor's {@code dtype},
 * {@code shape} and {@code data_offsets} (relative to the data after the header), then the raw
 * little-endian data.
 */
final class SafeTensors {
  static final String FILE = "model.safetensors";
  static final String INDEX = "model.safetensors.index.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100L << 20;

  private SafeTensors() {}

  /** One stored tensor: where its bytes are, relative to the start of the data. */
  private record Entry(String stored, String dtype, Shape shape, long begin, long end) {}

  /**
   * The tensors of a safetensors payload, by the name {@code rename} gives each stored name (tensors it
   * maps to null are skipped unread), as float32 arrays of {@code m}.
   *
   * @throws IllegalArgumentException when the bytes are not a well-formed safetensors payload
   */
  static Map<String, NDArray> decode(byte[] payload, UnaryOperator<String> rename, NDManager m) {
    if (payload.length < 8) {
      throw new IllegalArgumentException("not a safetensors payload: " + payload.length + " bytes");
    }
    ByteBuffer all = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = all.getLong(0);
    List<Entry> entries = header(headerLength, payload.length - 8L, h -> {
      byte[] b = new byte[(int) headerLength];
      all.get(8, b);
      return b;
    });
    long data = 8 + headerLength;
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Entry e : entries) {
      String name = rename.apply(e.stored());
      if (name != null) {
        ByteBuffer direct = ByteBuffer.allocateDirect((int) (e.end() - e.begin())).order(ByteOrder.nativeOrder());
        direct.put(all.slice((int) (data + e.begin()), (int) (e.end() - e.begin()))).flip();
        put(out, name, toFloat32(direct, e, m));
      }
    }
    return out;
  }

  /** As {@link #decode} over one file, mapped tensor by tensor. */
  static Map<String, NDArray> read(Path file, UnaryOperator<String> rename, NDManager m) throws IOException {
    Map<String, NDArray> out = new LinkedHashMap<>();
    readInto(file, rename, m, out);
    return out;
  }

  /**
   * The tensors of a model directory: {@value #FILE}, or every shard that {@value #INDEX} names.
   *
   * @throws IllegalArgumentException when the directory holds neither, or a shard is malformed
   */
  static Map<String, NDArray> readDirectory(Path dir, UnaryOperator<String> rename, NDManager m) throws IOException {
    Path single = dir.resolve(FILE);
    Path index = dir.resolve(INDEX);
    if (Files.isRegularFile(single)) {
      return read(single, rename, m);
    }
    if (!Files.isRegularFile(index)) {
      throw new IllegalArgumentException(dir + " is not a model directory: neither " + FILE + " nor " + INDEX);
    }
    Set<String> shards = new LinkedHashSet<>();
    for (Iterator<JsonNode> it = JSON.readTree(index.toFile()).path("weight_map").elements(); it.hasNext(); ) {
      shards.add(it.next().asText());
    }
    if (shards.isEmpty()) {
      throw new IllegalArgumentException(index + " has no weight_map");
    }
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (String shard : shards) {
      Path file = dir.resolve(shard).normalize();
      if (!file.startsWith(dir.normalize()) || !Files.isRegularFile(file)) {
        throw new IllegalArgumentException(index + " names a missing shard " + shard);
      }
      readInto(file, rename, m, out);
    }
    return out;
  }

  /** Whether {@code dir} holds weights, in one file or in shards. */
  static boolean present(Path dir) {
    return Files.isRegularFile(dir.resolve(FILE)) || Files.isRegularFile(dir.resolve(INDEX));
  }

  private static void readInto(Path file, UnaryOperator<String> rename, NDManager m, Map<String, NDArray> out)
      throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw new IllegalArgumentException(file + ": not a safetensors file (" + size + " bytes)");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0);
      long headerLength = len.getLong(0);
      List<Entry> entries;
      try {
        entries = header(headerLength, size - 8, h -> {
          ByteBuffer b = ByteBuffer.allocate((int) h);
          readFully(ch, b, 8);
          return b.array();
        });
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
      }
      long data = 8 + headerLength;
      for (Entry e : entries) {
        String name = rename.apply(e.stored());
        if (name != null) {
          ByteBuffer mapped = e.end() == e.begin() ? ByteBuffer.allocateDirect(0)
              : ch.map(FileChannel.MapMode.READ_ONLY, data + e.begin(), e.end() - e.begin());
          put(out, name, toFloat32(mapped.order(ByteOrder.nativeOrder()), e, m));
        }
      }
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long position) {
    try {
      long at = position;
      while (b.hasRemaining()) {
        int n = ch.read(b, at);
        if (n < 0) {
          throw new IllegalArgumentException("truncated safetensors file");
        }
        at += n;
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private interface HeaderBytes {
    byte[] read(long length);
  }

  /** The entries of a header of {@code length} bytes in a payload with {@code available} bytes after the length. */
  private static List<Entry> header(long length, long available, HeaderBytes bytes) {
    if (length < 2 || length > MAX_HEADER || length > available) {
      throw new IllegalArgumentException("not a safetensors payload: header of " + length + " bytes in "
          + available);
    }
    JsonNode h;
    try {
      h = JSON.readTree(bytes.read(length));
    } catch (IOException e) {
      throw new IllegalArgumentException("not a safetensors payload: header is not JSON (" + e.getMessage() + ")", e);
    }
    if (h == null || !h.isObject()) {
      throw new IllegalArgumentException("not a safetensors payload: header is not a JSON object");
    }
    long dataLength = available - length;
    List<Entry> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (f.getKey().equals("__metadata__")) {
        continue;
      }
      JsonNode t = f.getValue();
      JsonNode offsets = t.path("data_offsets");
      String dtype = t.path("dtype").asText("");
      long[] dims = new long[t.path("shape").size()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = t.path("shape").get(i).asLong(-1);
      }
      Shape shape = new Shape(dims);
      long begin = offsets.path(0).asLong(-1);
      long end = offsets.path(1).asLong(-1);
      int width = bytesOf(dtype);
      if (begin < 0 || end < begin || end > dataLength || width > 0 && shape.size() * width != end - begin) {
        throw new IllegalArgumentException("not a safetensors payload: tensor '" + f.getKey() + "' " + dtype + " "
            + shape + " at [" + begin + ", " + end + ") of " + dataLength + " data bytes");
      }
      out.add(new Entry(f.getKey(), dtype, shape, begin, end));
    }
    return out;
  }

  /** Bytes per element of a floating dtype, 0 for any other. */
  private static int bytesOf(String dtype) {
    return switch (dtype) {
      case "F64" -> 8;
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      default -> 0;
    };
  }

  /** A float32 copy of one tensor, owned by libtorch (not by {@code data}, which may be a mapped file). */
  private static NDArray toFloat32(ByteBuffer data, Entry e, NDManager m) {
    NDArray view;
    switch (e.dtype()) {
      case "F32" -> view = m.create(data, e.shape(), DataType.FLOAT32);
      case "F64" -> view = m.create(data, e.shape(), DataType.FLOAT64);
      case "F16" -> view = m.create(data, e.shape(), DataType.FLOAT16);
      case "BF16" -> {
        ByteBuffer floats = ByteBuffer.allocateDirect(data.remaining() * 2).order(ByteOrder.nativeOrder());
        ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
          floats.putInt((in.getShort() & 0xFFFF) << 16);
        }
        view = m.create(floats.flip(), e.shape(), DataType.FLOAT32);
      }
      default -> throw new IllegalArgumentException("tensor '" + e.stored() + "' has dtype " + e.dtype()
          + ": weights must be F32, BF16, F16 or F64");
    }
    // toType to the same type returns an alias, not a copy: the weights would then be the mapped file.
    NDArray copy = view.getDataType() == DataType.FLOAT32 ? view.duplicate() : view.toType(DataType.FLOAT32, true);
    view.close();
    return copy;
  }

  private static void put(Map<String, NDArray> out, String name, NDArray a) {
    a.setName(name);
    if (out.put(name, a) != null) {
      throw new IllegalArgumentException("tensor '" + name + "' is stored twice");
    }
  }
}
