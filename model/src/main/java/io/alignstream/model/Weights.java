package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
 *
 * <p>With an {@link Adapter} the map also holds the adapter's tensors (PEFT names); then only those
 * take gradients, and the base tensors stay frozen.
 */
public final class Weights implements AutoCloseable {
  private final NDManager manager;
  private final Map<String, NDArray> arrays; // insertion order = spec order
  private final Adapter adapter; // null: no adapter, every tensor trains

  private Weights(NDManager manager, Map<String, NDArray> arrays) {
    this(manager, arrays, null);
  }

  private Weights(NDManager manager, Map<String, NDArray> arrays, Adapter adapter) {
    this.manager = manager;
    this.arrays = Collections.unmodifiableMap(arrays);
    this.adapter = adapter;
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
   * Decodes safetensors bytes (a weights payload) and checks them against {@code spec}. Stored names
   * are mapped by {@code network}'s {@link Network#parameterName} (which skips buffers and a tied output
   * layer); F32, BF16, F16 and F64 tensors become float32.
   *
   * @throws IllegalArgumentException when the bytes are malformed, or a tensor is missing, unexpected or
   *     of the wrong shape
   */
  static Weights decode(byte[] safetensors, Network network, Map<String, Shape> spec, NDManager parent) {
    try {
      return load(scratch -> SafeTensors.decode(safetensors, names(network, spec), scratch), spec, parent);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** As {@link #decode} from a model directory: one {@code model.safetensors} or sharded files and their index. */
  static Weights read(Path dir, Network network, Map<String, Shape> spec, NDManager parent) throws IOException {
    try {
      return load(scratch -> SafeTensors.readDirectory(dir, names(network, spec), scratch), spec, parent);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code dir} holds weights {@link #read} can read. */
  static boolean present(Path dir) {
    return SafeTensors.present(dir);
  }

  private interface Loader {
    Map<String, NDArray> load(NDManager scratch) throws IOException;
  }

  /** Stored name to parameter name: null to skip, an error for a tensor this model does not have. */
  private static java.util.function.UnaryOperator<String> names(Network network, Map<String, Shape> spec) {
    return stored -> {
      String name = network.parameterName(stored);
      if (name != null && !spec.containsKey(name)) {
        throw new IllegalArgumentException("unexpected tensor '" + stored + "' (this model has " + spec.size()
            + " tensors, e.g. " + spec.keySet().iterator().next() + ")");
      }
      return name;
    };
  }

  private static Weights load(Loader loader, Map<String, Shape> spec, NDManager parent) throws IOException {
    NDManager m = parent.newSubManager();
    try (NDManager scratch = m.newSubManager()) {
      Map<String, NDArray> found = loader.load(scratch);
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
        a.attach(m);
        out.put(e.getKey(), a);
      }
      return trainable(new Weights(m, out));
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** Every tensor takes gradients, or with an adapter only the adapter's (the base is frozen). */
  private static Weights trainable(Weights w) {
    w.arrays.forEach((name, a) -> a.setRequiresGradient(w.adapter == null || Adapter.owns(name)));
    return w;
  }

  /**
   * The output {@code y} of the linear layer {@code layer} (parameter prefix) for input {@code x}, plus
   * the adapter's branch when that layer has one: the hook every family's forward pass calls.
   */
  public NDArray adapted(String layer, NDArray x, NDArray y) {
    return adapter == null ? y : adapter.apply(this, layer, x, y);
  }

  /** The adapter, or null. */
  Adapter adapter() {
    return adapter;
  }

  /**
   * These weights as a frozen base plus {@code adapter}'s {@code tensors} (moved into this object's
   * manager), as a new object that takes over the manager; this object must not be used afterwards.
   */
  Weights withAdapter(Adapter adapter, Map<String, NDArray> tensors) {
    if (this.adapter != null) {
      throw new IllegalStateException("these weights already carry an adapter");
    }
    return with(tensors, adapter);
  }

  /**
   * The adapter merged into the base: W + s B A for every targeted layer, as new arrays in a new manager
   * under {@code parent}, with no adapter tensors. With {@code share}, the other tensors are this object's
   * own arrays, not copies: the result is then valid only while this object is open.
   */
  Weights merged(NDManager parent, boolean share) {
    if (adapter == null) {
      throw new IllegalStateException("these weights carry no adapter to merge");
    }
    NDManager m = parent.newSubManager();
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      String name = e.getKey();
      if (Adapter.owns(name)) {
        continue;
      }
      String layer = name.endsWith(".weight") ? name.substring(0, name.length() - ".weight".length()) : null;
      NDArray a;
      if (layer != null && adapter.layers().contains(layer)) {
        a = adapter.merge(this, layer, m);
      } else if (share) {
        out.put(name, e.getValue());
        continue;
      } else {
        a = e.getValue().duplicate();
        a.attach(m);
      }
      a.setName(name);
      out.put(name, a);
    }
    // Shared arrays keep the base's frozen flag; a merged copy of its own trains like any model.
    return share ? new Weights(m, out) : trainable(new Weights(m, out));
  }

  /**
   * {@code base} (a plain model's weights, left untouched) with {@code adapter}'s {@code tensors} merged
   * in, as {@link #merged} with sharing: only the targeted matrices are new arrays (in a manager under
   * {@code parent}); the rest are {@code base}'s, so the result is valid only while {@code base} is open.
   */
  static Weights mergeOnto(Weights base, Adapter adapter, Map<String, NDArray> tensors, NDManager parent) {
    if (base.adapter != null) {
      throw new IllegalArgumentException("an adapter's base must be a plain model, not an adapted one");
    }
    Map<String, NDArray> all = new LinkedHashMap<>(base.arrays);
    all.putAll(tensors);
    // A view only: not made trainable (that would touch the base's flags) and never closed.
    return new Weights(base.manager, all, adapter).merged(parent, true);
  }

  /** Writes the tensors {@code keep} accepts as safetensors (adapter and base apart). */
  void encode(OutputStream out, java.util.function.Predicate<String> keep) throws IOException {
    NDList list = new NDList();
    arrays.forEach((name, a) -> {
      if (keep.test(name)) {
        list.add(a);
      }
    });
    list.encode(out, NDList.Encoding.SAFETENSORS);
  }

  /** Writes all tensors as safetensors (little-endian float32, canonical names). */
  void encode(OutputStream out) throws IOException {
    encode(out, name -> true);
  }

  byte[] toBytes() {
    return toBytes(name -> true);
  }

  byte[] toBytes(java.util.function.Predicate<String> keep) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try {
      encode(bos, keep);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  void write(Path file) throws IOException {
    write(file, name -> true);
  }

  void write(Path file, java.util.function.Predicate<String> keep) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
      encode(out, keep);
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** A deep copy in a new manager under {@code parent}. */
  Weights duplicate(NDManager parent) {
    return duplicate(parent, name -> true);
  }

  /** A deep copy of the parameters whose names {@code keep} accepts, in a new manager under {@code parent}. */
  Weights duplicate(NDManager parent, java.util.function.Predicate<String> keep) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      if (!keep.test(e.getKey())) {
        continue;
      }
      NDArray copy = e.getValue().duplicate();
      copy.attach(m);
      copy.setName(e.getKey());
      out.put(e.getKey(), copy);
    }
    boolean whole = adapter != null && out.keySet().stream().anyMatch(Adapter::owns);
    return trainable(new Weights(m, out, whole ? adapter.copy() : null));
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
    return trainable(new Weights(m, out, adapter == null ? null : adapter.copy()));
  }

  /**
   * These weights plus {@code extra} tensors (moved into this object's manager), as a new object that
   * takes over the manager; this object must not be used afterwards.
   */
  Weights plus(Map<String, NDArray> extra) {
    return with(extra, adapter);
  }

  /** These arrays plus {@code extra} (moved into this object's manager), with {@code adapter}, taking over the manager. */
  private Weights with(Map<String, NDArray> extra, Adapter adapter) {
    Map<String, NDArray> all = new LinkedHashMap<>(arrays);
    extra.forEach((name, a) -> {
      a.attach(manager);
      a.setName(name);
      all.put(name, a);
    });
    return trainable(new Weights(manager, all, adapter));
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
