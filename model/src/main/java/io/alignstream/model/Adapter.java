package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.alignstream.model.lora.LoraConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Which layers of a model carry a LoRA adapter and how its branch is computed: for a targeted linear
 * layer y = x W^T + b, the adapted output is y + s dropout(x) A^T B^T with A (rank, in), B (out, rank)
 * and s = alpha / rank. Its tensors live in the model's {@link Weights} under PEFT's names
 * ({@code base_model.model.<module>.lora_A.weight}); everything else there is the frozen base.
 *
 * <p>Dropout draws its masks in Java from a seed set per training pass ({@link #beginPass}), so the
 * same seed gives the same masks on every machine; passes with autograd off (scoring, decoding) never
 * drop. Mutable only through {@link #beginPass}, which the optimiser calls under the model's write lock.
 */
public final class Adapter {
  /** PEFT's prefix of every adapter tensor: the PEFT model wraps the Hugging Face model as {@code base_model.model}. */
  public static final String PREFIX = "base_model.model.";

  private final LoraConfig config;
  private final Map<String, Network.Linear> layers; // parameter prefix -> layer, the targeted ones, forward order
  private SplittableRandom draws = new SplittableRandom(0);

  private Adapter(LoraConfig config, Map<String, Network.Linear> layers) {
    this.config = config;
    this.layers = Map.copyOf(layers);
  }

  /**
   * The adapter {@code config} puts on {@code network}'s linear layers.
   *
   * @throws IllegalArgumentException when LoRA is off or the targets match no layer of this family
   */
  static Adapter of(LoraConfig config, Network network) {
    if (!config.enabled()) {
      throw new IllegalArgumentException("lora rank is 0: there is no adapter to make");
    }
    Map<String, Network.Linear> chosen = new LinkedHashMap<>();
    network.linearLayers().forEach((name, layer) -> {
      if (config.targets(layer.module())) {
        chosen.put(name, layer);
      }
    });
    if (chosen.isEmpty()) {
      var names = network.linearLayers().values().stream()
          .map(l -> l.module().substring(l.module().lastIndexOf('.') + 1)).distinct().toList();
      throw new IllegalArgumentException("lora targets " + config.targets() + " match no layer of this model; its "
          + "linear layers are " + names + " (or use " + LoraConfig.ALL_LINEAR + ")");
    }
    return new Adapter(config, chosen);
  }

  public LoraConfig config() {
    return config;
  }

  /** Whether PEFT stores the targeted weights (in, out) (GPT-2's Conv1D): its {@code fan_in_fan_out}. */
  public boolean fanInFanOut() {
    return layers.values().iterator().next().fanInFanOut();
  }

  /** The targeted modules by their last name component ({@code q_proj}), for {@code adapter_config.json}. */
  public java.util.List<String> targetModules() {
    return layers.values().stream().map(l -> l.module().substring(l.module().lastIndexOf('.') + 1)).distinct().toList();
  }

  static String a(Network.Linear l) {
    return PREFIX + l.module() + ".lora_A.weight";
  }

  static String b(Network.Linear l) {
    return PREFIX + l.module() + ".lora_B.weight";
  }

  /** Whether {@code name} is one of an adapter's tensors rather than the base's. */
  static boolean owns(String name) {
    return name.startsWith(PREFIX);
  }

  /** Names and shapes of the adapter tensors: per layer A (rank, in) then B (out, rank). */
  Map<String, Shape> spec() {
    Map<String, Shape> s = new LinkedHashMap<>();
    int r = config.rank();
    layers.values().forEach(l -> {
      s.put(a(l), new Shape(r, l.in()));
      s.put(b(l), new Shape(l.out(), r));
    });
    return s;
  }

  /**
   * Fresh adapter tensors as PEFT initialises them: A from kaiming_uniform(a = sqrt 5), which is
   * U(-1/sqrt(in), 1/sqrt(in)), and B zero, so the adapted model starts equal to its base. Drawn in
   * Java from {@code seed}.
   */
  Map<String, NDArray> initialise(long seed, NDManager m) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, NDArray> out = new LinkedHashMap<>();
    spec().forEach((name, shape) -> {
      float[] values = new float[Math.toIntExact(shape.size())];
      if (name.endsWith(".lora_A.weight")) {
        double bound = 1.0 / Math.sqrt(shape.get(1));
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
      }
      out.put(name, m.create(values, shape));
    });
    return out;
  }

  /**
   * Adapter tensors from safetensors bytes ({@code adapter_model.safetensors}), float32 arrays of
   * {@code m}, in {@link #spec()} order.
   *
   * @throws IllegalArgumentException when a tensor is missing, unexpected or of the wrong shape (an
   *     adapter of another rank, targets or model)
   */
  Map<String, NDArray> decode(byte[] safetensors, NDManager m) {
    Map<String, Shape> spec = spec();
    Map<String, NDArray> found = SafeTensors.decode(safetensors, stored -> {
      if (!spec.containsKey(stored)) {
        throw new IllegalArgumentException("unexpected adapter tensor '" + stored + "' (this adapter has "
            + spec.size() + " tensors, e.g. " + spec.keySet().iterator().next() + ")");
      }
      return stored;
    }, m);
    Map<String, NDArray> out = new LinkedHashMap<>();
    spec.forEach((name, shape) -> {
      NDArray a = found.get(name);
      if (a == null) {
        throw new IllegalArgumentException("missing adapter tensor '" + name + "' " + shape);
      }
      if (!a.getShape().equals(shape)) {
        throw new IllegalArgumentException("adapter tensor '" + name + "' has shape " + a.getShape() + ", expected "
            + shape + " (rank " + config.rank() + ")");
      }
      out.put(name, a);
    });
    return out;
  }

  /** Seeds the dropout masks of the next differentiated pass (the optimiser passes its step number). */
  void beginPass(long seed) {
    draws = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
  }

  /** A copy with its own dropout stream (for a copied model). */
  Adapter copy() {
    return new Adapter(config, layers);
  }

  /** {@code y} plus the adapter branch of layer {@code layer} for input {@code x}; {@code y} when not targeted. */
  NDArray apply(Weights w, String layer, NDArray x, NDArray y) {
    Network.Linear l = layers.get(layer);
    if (l == null) {
      return y;
    }
    NDManager m = x.getManager(); // the pass's step manager: constants made here outlive backward
    DataType type = x.getDataType();
    NDArray in = x;
    if (config.dropout() > 0 && JniUtils.isGradMode()) {
      in = x.mul(dropoutMask(x.getShape(), m, type));
    }
    NDArray low = in.getNDArrayInternal().linear(in, w.get(a(l)), null).get(0); // (..., rank)
    low = low.mul(Scalar.of(m, config.scale(), type));
    return y.add(low.getNDArrayInternal().linear(low, w.get(b(l)), null).get(0)); // (..., out)
  }

  private NDArray dropoutMask(Shape shape, NDManager m, DataType type) {
    double p = config.dropout();
    float kept = (float) (1.0 / (1.0 - p));
    float[] mask = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = draws.nextDouble() < p ? 0f : kept;
    }
    NDArray a = m.create(mask, shape);
    return type == DataType.FLOAT32 ? a : a.toType(type, false);
  }

  /**
   * Base weight plus the adapter's product, W + s B A (or its transpose for a Conv1D layer), as a new
   * array of {@code m}; no autograd.
   */
  NDArray merge(Weights w, String layer, NDManager m) {
    Network.Linear l = layers.get(layer);
    NDArray base = w.get(layer + ".weight");
    try (NDManager scratch = m.newSubManager(); GradMode off = GradMode.off()) {
      NDArray b = w.get(b(l)).duplicate();
      b.attach(scratch);
      NDArray delta = b.matMul(w.get(a(l))).mul(Scalar.of(scratch, config.scale(), base.getDataType())); // (out, in)
      if (l.fanInFanOut()) {
        delta = delta.transpose();
      }
      NDArray merged = delta.add(base);
      merged.attach(m);
      return merged;
    }
  }

  /** The targeted layers, by parameter prefix. */
  java.util.Set<String> layers() {
    return layers.keySet();
  }
}
