package io.alignstream.model.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.llama.LlamaConfig;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.SamplingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Throughput of the DJL model core: training tokens/s, generation tokens/s at batch 1 and batched,
 * achieved FLOP/s against a measured fp32 matmul peak. Writes the model it measured so the plain
 * PyTorch baseline ({@code bench/reference/gpt2_bench.py}) runs the same weights. Not a test; run
 * with {@code bench/model/run.sh}.
 *
 * <p>Arguments: OUT_DIR [vocab=512] [batch=16] [seq=64] [trainSteps=30, 0 to skip] [genTokens=64] [genBatch=8];
 * {@code -Dbench.preset=gpt2-small} switches to the GPT-2 small shape, {@code llama-tiny} to a Llama of
 * the tiny preset's size, {@code smollm2} to SmolLM2-135M's shape, {@code qwen2.5-0.5b} to Qwen2.5-0.5B's.
 */
public final class ModelBenchmark {
  private ModelBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "bench/model/out");
    int vocab = intArg(args, 1, 512);
    int batch = intArg(args, 2, 16);
    int seq = intArg(args, 3, 64);
    int steps = intArg(args, 4, 30);
    int genTokens = intArg(args, 5, 64);
    int genBatch = intArg(args, 6, 8);
    Files.createDirectories(out);
    // -Dbench.preset=gpt2-small measures the GPT-2 small shape (vocab 50,257) instead of tiny;
    // llama-tiny and smollm2 the Llama family.
    ModelConfig config = preset(System.getProperty("bench.preset", "tiny"), vocab);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("impl", "djl-" + System.getProperty("ai.djl.pytorch.num_threads", "default") + "-threads");
    r.put("decoder", System.getProperty(Policy.DECODER_PROPERTY, "auto"));
    r.put("config", config);
    r.put("parameters", config.parameterCount());
    r.put("batch", batch);
    r.put("seq", seq);

    double peak = matmulPeak(1024, 20);
    r.put("matmul_peak_gflops", peak / 1e9);

    try (Policy policy = Policy.create(config, 1)) {
      r.put("decodes_on_jvm", policy.decodesOnJvm());
      policy.save(out.resolve("model"));
      SplittableRandom rng = new SplittableRandom(2);
      List<Example> data = new ArrayList<>();
      for (int b = 0; b < batch; b++) {
        long[] resp = new long[seq - 1];
        for (int t = 0; t < resp.length; t++) {
          resp[t] = 2 + rng.nextInt(vocab - 2);
        }
        data.add(new Example(new long[] {1}, resp));
      }
      if (steps > 0) {
        train(policy, data, steps, peak, forwardFlops(config, seq - 1), r);
      }
      for (int gb : new int[] {1, genBatch}) {
        List<long[]> prompts = new ArrayList<>();
        for (int b = 0; b < gb; b++) {
          prompts.add(new long[] {1, 2 + b % (vocab - 2), 3});
        }
        SamplingConfig sampling = new SamplingConfig(1.0, 1.0, 0, genTokens, false);
        // Warm-up: five calls, so that the JIT has compiled the decoding loop (with one, batch 1 measured
        // mostly the compiler: half the rate, and half the process's CPU in compiler threads).
        for (int i = 0; i < 5; i++) {
          policy.generate(prompts, sampling, 1000 + i);
        }
        int reps = gb == 1 ? 10 : 4;
        long t0 = System.nanoTime();
        long c0 = cpuNanos();
        for (int i = 0; i < reps; i++) {
          policy.generate(prompts, sampling, i);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        r.put("gen_tokens_per_cpu_s_batch" + gb, (double) gb * genTokens * reps / ((cpuNanos() - c0) / 1e9));
        r.put("gen_tokens_per_s_batch" + gb, (double) gb * genTokens * reps / s);
      }
    }
    String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r);
    Files.writeString(out.resolve("djl.json"), json);
    System.out.println(json);
  }

  /** Times {@code steps} SFT steps (after 3 warm-up ones) on a copy of {@code policy}. */
  private static void train(Policy policy, List<Example> data, int steps, double peak, double forwardFlops,
      Map<String, Object> r) {
    try (Policy trained = policy.copy();
        PolicyTrainer t = new PolicyTrainer(trained, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-3)))) {
      for (int i = 0; i < 3; i++) {
        t.sftStep(data); // warm-up
      }
      long t0 = System.nanoTime();
      long c0 = cpuNanos();
      for (int i = 0; i < steps; i++) {
        t.sftStep(data);
      }
      double s = (System.nanoTime() - t0) / 1e9;
      double tokens = (double) data.size() * (data.get(0).length() - 1) * steps;
      r.put("train_tokens_per_cpu_s", tokens / ((cpuNanos() - c0) / 1e9));
      r.put("train_tokens_per_s", tokens / s);
      r.put("train_ms_per_step", 1e3 * s / steps);
      r.put("train_gflops", tokens * 3 * forwardFlops / s / 1e9);
      r.put("train_fraction_of_peak", tokens * 3 * forwardFlops / s / peak);
    }
  }

  /** The shape a {@code -Dbench.preset} names: GPT-2's {@code tiny} and {@code gpt2-small}, {@code llama-tiny}, {@code smollm2}. */
  static ModelConfig preset(String name, int vocab) {
    return switch (name) {
      case "llama-tiny" -> LlamaConfig.tiny(LlamaConfig.Family.LLAMA, vocab, 1);
      case "smollm2" -> LlamaConfig.smolLm2();
      // Qwen2.5-0.5B's shape: 24 layers, d=896, 14 query and 2 key/value heads, q/k/v biases, vocabulary 151,936.
      case "qwen2.5-0.5b" -> new LlamaConfig(LlamaConfig.Family.QWEN2, 151936, 32768, 896, 4864, 24, 14, 2, 64, 1e-6,
          1e6, null, true, false, 151643, List.of(151645, 151643));
      default -> Gpt2Config.preset(name, vocab, 1);
    };
  }

  /**
   * Forward FLOPs per token at sequence length {@code t}: 2 per weight of every matrix a token multiplies
   * (the output layer included, embeddings looked up not), plus attention 4 L t (heads x head width).
   */
  static double forwardFlops(ModelConfig c, int t) {
    if (c instanceof Gpt2Config g) {
      double d = g.width();
      double n = g.layers() * 12 * d * d + (double) g.vocabSize() * d;
      return 2 * n + 4.0 * g.layers() * t * d;
    }
    LlamaConfig l = (LlamaConfig) c;
    double d = l.width();
    double q = (double) l.heads() * l.headDim();
    double kv = (double) l.kvHeads() * l.headDim();
    double perLayer = d * q * 2 + d * kv * 2 + 3 * d * l.intermediateSize();
    return 2 * (l.layers() * perLayer + (double) l.vocabSize() * d) + 4.0 * l.layers() * t * q;
  }

  /** Best-of-N fp32 square matmul rate in FLOP/s. */
  static double matmulPeak(int n, int reps) {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray a = m.randomNormal(new Shape(n, n));
      NDArray b = m.randomNormal(new Shape(n, n));
      double best = Double.MAX_VALUE;
      for (int i = 0; i < reps; i++) {
        try (NDManager s = m.newSubManager()) {
          NDArray x = a.duplicate();
          x.attach(s);
          long t0 = System.nanoTime();
          NDArray c = x.matMul(b);
          c.getShape(); // CPU ops are synchronous: the product is complete here
          best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
      }
      return 2.0 * n * n * n / best;
    }
  }

  /** CPU time of the whole process (all threads), to separate our cost from other processes' load. */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static int intArg(String[] args, int i, int dflt) {
    return args.length > i ? Integer.parseInt(args[i]) : dflt;
  }
}
