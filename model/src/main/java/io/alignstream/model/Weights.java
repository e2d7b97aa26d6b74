package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Named parameter tensors of one model, in one {@link NDManager} that this object owns and closes.
 *
 * <p>The set of names and shapes is fixed by a spec at construction; the map is never modified
 * afterwards (the values are updated in place by the optimiser only). Names are the family's
 * ({@link Network#parameterName}). Families read it in their forward pass; everything else is this
 * package's.
 */
public final class Weights implements AutoCloseable {
  private final NDManager manager;
  private final Map<String, NDArray> arrays; // insertion order = spec order

  private Weights(NDManager manager, Map<String, NDArray> arrays) {
    this.manager = manager;
    this.arrays = Collections.unmodifiableMap(arrays);
  }

  /**
   * Fresh weights of {@code network} from a seed, each parameter as {@link Network#init} says, drawn in
   * Java so that the same seed gives the same bits on every machine.
   */
  static Weights initialise(Network network, long seed, NDManager parent) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> out = new LinkedHashMap<>();
    SplittableRandom rng = new SplittableRandom(seed);
    for (Map.Entry<String, Shape> e : network.spec().entrySet()) {
      String name = e.getKey();
      Shape shape = e.getValue();
      float[] values = new float[Math.toIntExact(shape.size())];
      Network.Init init = network.init(name);
      if (init.normal()) {
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) (rng.nextGaussian() * init.std());
        }
      } else if (init.fill() != 0) {
        java.util.Arrays.fill(values, (float) init.fill());
      }
      NDArray a = m.create(values, shape);
      a.setName(name);
      out.put(name, a);
    }
    return trainable(new Weights(m, out));
  }

  /**
   * Decodes safetensors bytes and checks them against {@code spec}. Stored names are mapped by
   * {@code network}'s {@link Network#parameterName} (which skips buffers and a tied output layer);
   * other float types are converted to float32.
   *
   * @throws IllegalArgumentException when a tensor is missing, unexpected or of the wrong shape
   */
  static Weights decode(InputStream in, Network network, Map<String, Shape> spec, NDManager parent) {
    NDManager m = parent.newSubManager();
    try {
      NDList list;
      try (NDManager scratch = m.newSubManager()) {
        try {
          list = NDList.decode(scratch, in);
        } catch (IllegalArgumentException e) {
          throw e;
        } catch (RuntimeException e) {
          // Truncated or foreign bytes surface as assorted runtime errors; callers (hot swap from
          // Kafka) get one exception type and the model stays as it was.
          throw new IllegalArgumentException("not a readable safetensors payload: " + e, e);
        }
        Map<String, NDArray> found = new LinkedHashMap<>();
        for (NDArray a : list) {
          String name = network.parameterName(a.getName());
          if (name == null) {
            continue;
          }
          if (!spec.containsKey(name)) {
            throw new IllegalArgumentException("unexpected tensor '" + a.getName()
                + "' (this model has " + spec.size() + " tensors, e.g. " + spec.keySet().iterator().next() + ")");
          }
          found.put(name, a);
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : spec.entrySet()) {
          NDArray a = found.get(e.getKey());
          if (a == null) {
            throw new IllegalArgumentException("missing tensor '" + e.getKey() + "' " + e.getValue());
          }
          if (!a.getShape().equals(e.getValue())) {
            throw new IllegalArgumentException("tensor '" + e.getKey() + "' has shape " + a.getShape()
                + ", expected " + e.getValue());
          }
          NDArray kept = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, true);
          kept.attach(m);
          kept.setName(e.getKey());
          out.put(e.getKey(), kept);
        }
        return trainable(new Weights(m, out));
      }
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  static Weights decode(byte[] safetensors, Network network, Map<String, Shape> spec, NDManager parent) {
    try (InputStream in = new java.io.ByteArrayInputStream(safetensors)) {
      return decode(in, network, spec, parent);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Weights read(Path file, Network network, Map<String, Shape> spec, NDManager parent) throws IOException {
    try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
      return decode(in, network, spec, parent);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  private static Weights trainable(Weights w) {
    w.arrays.values().forEach(a -> a.setRequiresGradient(true));
    return w;
  }

  /** Writes all tensors as safetensors (little-endian float32, canonical names). */
  void encode(OutputStream out) throws IOException {
    NDList list = new NDList(arrays.values());
    list.encode(out, NDList.Encoding.SAFETENSORS);
  }

  byte[] toBytes() {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try {
      encode(bos);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  void write(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
      encode(out);
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** A deep copy in a new manager under {@code parent}. */
  Weights duplicate(NDManager parent) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      NDArray copy = e.getValue().duplicate();
      copy.attach(m);
      copy.setName(e.getKey());
      out.put(e.getKey(), copy);
    }
    return trainable(new Weights(m, out));
  }

  /** A copy converted to {@code type} (float64 for gradient checks). */
  Weights toType(DataType type, NDManager parent) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      NDArray copy = e.getValue().toType(type, true);
      copy.attach(m);
      copy.setName(e.getKey());
      out.put(e.getKey(), copy);
    }
    return trainable(new Weights(m, out));
  }

  /**
   * These weights plus {@code extra} tensors (moved into this object's manager), as a new object that
   * takes over the manager; this object must not be used afterwards.
   */
  Weights plus(Map<String, NDArray> extra) {
    Map<String, NDArray> all = new LinkedHashMap<>(arrays);
    extra.forEach((name, a) -> {
      a.attach(manager);
      a.setName(name);
      all.put(name, a);
    });
    return trainable(new Weights(manager, all));
  }

  /** The parameter of this name. */
  public NDArray get(String name) {
    NDArray a = arrays.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no parameter named '" + name + "'");
    }
    return a;
  }

  Set<String> names() {
    return arrays.keySet();
  }

  Map<String, NDArray> arrays() {
    return arrays;
  }

  NDManager manager() {
    return manager;
  }

  /** The floating type of every parameter (float32; float64 in gradient checks). */
  public DataType dataType() {
    return arrays.values().iterator().next().getDataType();
  }

  @Override
  public void close() {
    manager.close();
  }
}
