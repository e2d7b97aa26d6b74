package io.alignstream.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
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
    NDManager root = newRoot();
    try {
      Network network = config.network();
      return new Policy(config, root, readWeights(dir, network, network.spec(), root), 0);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /** A policy of the given shape with weights from safetensors bytes (see {@link #weightsToBytes()}). */
  public static Policy fromBytes(ModelConfig config, byte[] safetensors, long version) {
    NDManager root = newRoot();
    try {
      Network network = config.network();
      return new Policy(config, root, Weights.decode(safetensors, network, network.spec(), root), version);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /** An independent deep copy (for pi_0 or reference snapshots); same version number. */
  public Policy copy() {
    NDManager newRoot = newRoot();
    return read(w -> new Policy(config, newRoot, w.duplicate(newRoot), version()));
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
          s = new HostSnapshot(w, v, network.host(w));
          host = s;
        }
      }
    }
    return s.host();
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
    read(w -> {
      try (GradMode off = GradMode.off()) {
        for (int from = 0; from < examples.size(); from += 32) {
          List<Example> chunk = examples.subList(from, Math.min(examples.size(), from + 32));
          try (NDManager m = root.newSubManager()) {
            TokenBatch batch = TokenBatch.of(chunk, config);
            float[] lp = batch.tokenLogProbs(config, w, m).toType(DataType.FLOAT32, false).toFloatArray();
            for (int b = 0; b < chunk.size(); b++) {
              Example e = chunk.get(b);
              float[] row = new float[e.response().length];
              System.arraycopy(lp, b * batch.length + e.prompt().length - 1, row, 0, row.length);
              out[from + b] = row;
            }
          }
        }
      }
      return null;
    });
    return out;
  }
}
