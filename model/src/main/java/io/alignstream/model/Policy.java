package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.alignstream.model.lora.LoraConfig;
import io.alignstream.model.lora.PeftFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A decoder language model of any supported family: generation with per-token behaviour log-probs,
 * teacher-forced log-probs of given responses, weights to and from bytes and model directories.
 *
 * <p>Thread-safety: every public method may be called from any thread. Generation, log-probs, copy
 * and export share a read lock; {@link #loadWeights} and optimiser steps ({@link PolicyTrainer}) take
 * the write lock, so one {@link #generate} call sees one weights version from its first token to its
 * last and every {@link Sample} names that version. Reading methods switch autograd off on the
 * calling thread for their duration. Close the policy to free its native memory.
 *
 * <p>A policy may train a LoRA {@link Adapter} over its frozen weights ({@link #withAdapter}): its
 * forward pass then adds every targeted layer's adapter branch, only the adapter takes gradients, and
 * it is saved and published in PEFT's layout ({@link #adapterToBytes}). {@link #weightsToBytes} and
 * JVM decoding see the adapter merged in; a sampler serves adapters merged over one base ({@link #adapted}).
 */
public final class Policy extends BaseModel {
  /**
   * System property choosing where decoding runs: {@code jvm} (Java's Vector API, when the JVM has
   * {@code --add-modules jdk.incubator.vector}), {@code torch} (libtorch), or {@code auto} (the default:
   * the JVM when it can and the model has at most {@value #JVM_DECODING_LIMIT} parameters, since its
   * weights are then also copied onto the Java heap; beyond that both decode at memory bandwidth).
   */
  public static final String DECODER_PROPERTY = "alignstream.decoder";
  /** Largest model {@code auto} decodes on the JVM: a 1 GB float32 copy on the heap. */
  public static final long JVM_DECODING_LIMIT = 256_000_000L;
  private static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /** The weights of one version copied for decoding on the JVM. */
  private record HostSnapshot(Weights weights, long version, Network.Host host) {}

  private volatile HostSnapshot host;

  private Policy(ModelConfig config, NDManager root, Weights weights, long version) {
    super(config, root, weights, version);
  }

  /** A freshly initialised policy; the same seed gives bit-identical weights. */
  public static Policy create(ModelConfig config, long seed) {
    NDManager root = newRoot();
    return new Policy(config, root, Weights.initialise(config.network(), seed, root), 0);
  }

  /**
   * Loads {@code config.json} and {@code model.safetensors} from a Hugging Face model directory of a
   * supported family (for GPT-2, a {@code transformer.} prefix and attention-mask buffers are accepted).
   */
  public static Policy load(Path dir) {
    ModelConfig config = readConfig(dir);
    Network network = config.network();
    return inNewRoot(root -> withSavedAdapter(new Policy(config, root, readWeights(dir, network, network.spec(), root), 0),
        dir));
  }

  /**
   * Loads a model directory as {@link #load(Path)} does; when it also holds a PEFT adapter
   * ({@code adapter_config.json}, {@code adapter_model.safetensors}) the policy trains that adapter over
   * the directory's weights.
   */
  private static Policy withSavedAdapter(Policy plain, Path dir) {
    if (!PeftFiles.present(dir)) {
      return plain;
    }
    try (plain) {
      LoraConfig lora = PeftFiles.readConfig(dir);
      return plain.withAdapter(lora, Files.readAllBytes(dir.resolve(PeftFiles.WEIGHTS_FILE)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the adapter in " + dir, e);
    }
  }

  /**
   * A copy of this policy as the frozen base of a fresh LoRA adapter, drawn from {@code seed} as PEFT
   * draws it (B = 0, so the result computes exactly what this policy does). Same version.
   */
  public Policy withAdapter(LoraConfig lora, long seed) {
    Adapter adapter = Adapter.of(lora, network);
    return adapt(adapter, m -> adapter.initialise(seed, m));
  }

  /** A copy of this policy as the frozen base of the adapter whose tensors are {@code adapterSafetensors}. */
  public Policy withAdapter(LoraConfig lora, byte[] adapterSafetensors) {
    Adapter adapter = Adapter.of(lora, network);
    return adapt(adapter, m -> adapter.decode(adapterSafetensors, m));
  }

  private Policy adapt(Adapter adapter, java.util.function.Function<NDManager, Map<String, NDArray>> tensors) {
    return inNewRoot(newRoot -> read(w -> {
      if (w.adapter() != null) {
        throw new IllegalStateException("this policy already trains an adapter: merge it first");
      }
      Weights copy = w.duplicate(newRoot);
      try {
        return new Policy(config, newRoot, copy.withAdapter(adapter, tensors.apply(copy.manager())), version());
      } catch (RuntimeException e) {
        copy.close();
        throw e;
      }
    }));
  }

  /**
   * {@code base} serving the adapter {@code adapterSafetensors}: W + s B A in new arrays for the targeted
   * matrices, every other tensor shared with {@code base} (not copied), so a swap costs the targeted
   * matrices only. Close the result before {@code base}.
   *
   * @throws IllegalArgumentException when the adapter does not fit {@code base} (rank, targets, shapes)
   */
  public static Policy adapted(Policy base, LoraConfig lora, byte[] adapterSafetensors, long version) {
    Adapter adapter = Adapter.of(lora, base.network);
    return inNewRoot(root -> base.read(w -> {
      try (NDManager scratch = root.newSubManager(); GradMode off = GradMode.off()) {
        Weights merged = Weights.mergeOnto(w, adapter, adapter.decode(adapterSafetensors, scratch), root);
        return new Policy(base.config, root, merged, version);
      }
    }));
  }

  /** The adapter this policy trains, or {@link LoraConfig#OFF}. */
  public LoraConfig lora() {
    return read(w -> w.adapter() == null ? LoraConfig.OFF : w.adapter().config());
  }

  /** The adapter's tensors alone, PEFT-named safetensors bytes: the {@code adapter_model.safetensors} payload. */
  public byte[] adapterToBytes() {
    return read(w -> {
      requireAdapter(w);
      return w.toBytes(Adapter::owns);
    });
  }

  /** The adapter's {@code adapter_config.json}, its targets resolved to this family's module names. */
  public String adapterConfigJson() {
    return read(w -> {
      Adapter a = requireAdapter(w);
      return PeftFiles.configJson(a.config(), a.targetModules(), a.fanInFanOut(), null);
    });
  }

  /** What {@link #adapterToBytes()} gave for the adapted policy {@link #save} wrote to {@code dir}. */
  public static byte[] savedAdapterToBytes(Path dir) throws IOException {
    return Files.readAllBytes(dir.resolve(PeftFiles.WEIGHTS_FILE));
  }

  private static Adapter requireAdapter(Weights w) {
    if (w.adapter() == null) {
      throw new IllegalStateException("this policy trains no adapter (lora rank 0)");
    }
    return w.adapter();
  }

  /** A plain policy: the adapter merged into the weights, or a copy when there is none. Same version. */
  public Policy merged() {
    return inNewRoot(newRoot -> read(w -> new Policy(config, newRoot,
        w.adapter() == null ? w.duplicate(newRoot) : w.merged(newRoot, false), version())));
  }

  /** The whole model as safetensors bytes; an adapter is merged in (its own bytes: {@link #adapterToBytes}). */
  @Override
  public byte[] weightsToBytes() {
    return read(w -> {
      if (w.adapter() == null) {
        return w.toBytes();
      }
      try (NDManager m = root.newSubManager(); GradMode off = GradMode.off(); Weights merged = w.merged(m, true)) {
        return merged.toBytes();
      }
    });
  }

  /**
   * {@code config.json} and {@code model.safetensors}; with an adapter, the frozen base there and the
   * adapter beside it in PEFT's layout, which {@link #load} reads back as the same adapted policy.
   */
  @Override
  public void save(Path dir) throws IOException {
    if (!lora().enabled()) {
      super.save(dir);
      return;
    }
    Files.createDirectories(dir);
    config.write(dir.resolve(ModelConfig.FILE_NAME));
    try {
      read(w -> {
        try {
          w.write(dir.resolve(WEIGHTS_FILE), name -> !Adapter.owns(name));
          w.write(dir.resolve(PeftFiles.WEIGHTS_FILE), Adapter::owns);
          return null;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    Files.writeString(dir.resolve(PeftFiles.CONFIG_FILE), adapterConfigJson());
  }

  /** A policy of the given shape with weights from safetensors bytes (see {@link #weightsToBytes()}). */
  public static Policy fromBytes(ModelConfig config, byte[] safetensors, long version) {
    Network network = config.network();
    return inNewRoot(root -> new Policy(config, root, Weights.decode(safetensors, network, network.spec(), root),
        version));
  }

  /** An independent deep copy (for pi_0 or reference snapshots); same version number. */
  public Policy copy() {
    return inNewRoot(newRoot -> read(w -> new Policy(config, newRoot, w.duplicate(newRoot), version())));
  }

  @Override
  Map<String, Shape> spec() {
    return network.spec();
  }

  /**
   * Samples one response per prompt, all prompts in one batch with a KV cache.
   *
   * @param prompts prompt ids, each non-empty and shorter than the context length; lengths may differ
   * @param seed same seed, prompts and weights give the same samples (row i uses its own stream)
   * @return one sample per prompt, in order
   */
  public List<Sample> generate(List<long[]> prompts, SamplingConfig sampling, long seed) {
    return generate(prompts, Collections.nCopies(prompts.size(), sampling), seed);
  }

  /**
   * As {@link #generate(List, SamplingConfig, long)}, each prompt with its own settings (e.g. one greedy row
   * among sampled ones); they share {@code maxNewTokens} and {@code stopAtEos}. A row's random stream
   * depends on its index only, so the sampled rows draw what they would beside any other rows.
   */
  public List<Sample> generate(List<long[]> prompts, List<SamplingConfig> sampling, long seed) {
    if (prompts.isEmpty()) {
      return List.of();
    }
    return read(w -> {
      Network.Host h = host(w);
      if (h != null) {
        try (TokenDecoder decoder = h.decoder()) {
          return SamplingLoop.run(config, decoder, prompts, sampling, seed, version());
        }
      }
      try (NDManager m = root.newSubManager(); TokenDecoder decoder = new TorchDecoder(config, w, m)) {
        return SamplingLoop.run(config, decoder, prompts, sampling, seed, version());
      }
    });
  }

  /** Whether {@link #generate} decodes on the JVM (see {@link #DECODER_PROPERTY}), else through libtorch. */
  public boolean decodesOnJvm() {
    String mode = System.getProperty(DECODER_PROPERTY, "auto");
    return switch (mode) {
      case "auto" -> VECTOR_API && parameterCount() <= JVM_DECODING_LIMIT;
      case "jvm" -> {
        if (!VECTOR_API) {
          throw new IllegalStateException(DECODER_PROPERTY + "=jvm needs the JVM option --add-modules jdk.incubator.vector");
        }
        yield true;
      }
      case "torch" -> false;
      default -> throw new IllegalArgumentException(DECODER_PROPERTY + " must be auto, jvm or torch, got '" + mode + "'");
    };
  }

  /**
   * The JVM copy of {@code w} at the current version, made on the first generation after a change, or
   * null to decode through libtorch. Call under the read lock (the weights cannot change meanwhile).
   */
  private Network.Host host(Weights w) {
    if (!decodesOnJvm()) {
      return null;
    }
    HostSnapshot s = host;
    long v = version();
    if (s == null || s.weights() != w || s.version() != v) {
      synchronized (this) {
        s = host;
        if (s == null || s.weights() != w || s.version() != v) {
          s = new HostSnapshot(w, v, hostOf(w));
          host = s;
        }
      }
    }
    return s.host();
  }

  /** The JVM copy of {@code w}, the adapter merged in first (the JVM decoders know plain weights only). */
  private Network.Host hostOf(Weights w) {
    if (w.adapter() == null) {
      return network.host(w);
    }
    try (NDManager m = root.newSubManager(); GradMode off = GradMode.off(); Weights merged = w.merged(m, true)) {
      return network.host(merged);
    }
  }

  /**
   * log pi(response | prompt) of every example: the sum over response tokens (including a trailing
   * EOS) of teacher-forced log-probs, computed in batches of at most {@code 32}.
   */
  public double[] sequenceLogProbs(List<Example> examples) {
    float[][] tokens = tokenLogProbs(examples);
    double[] out = new double[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      for (float lp : tokens[i]) {
        out[i] += lp;
      }
    }
    return out;
  }

  /** Per response token, log pi(token | prefix), teacher-forced; row i has {@code response.length} entries. */
  public float[][] tokenLogProbs(List<Example> examples) {
    float[][] out = new float[examples.size()][];
    inBatches(examples, (from, chunk, batch, w, m) -> {
      float[] lp = batch.tokenLogProbs(config, w, m).toType(DataType.FLOAT32, false).toFloatArray();
      for (int b = 0; b < chunk.size(); b++) {
        Example e = chunk.get(b);
        float[] row = new float[e.response().length];
        System.arraycopy(lp, b * batch.length + e.prompt().length - 1, row, 0, row.length);
        out[from + b] = row;
      }
    });
    return out;
  }
}
