package io.alignstream.model.bench;

import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Model FLOP/s: training throughput of the tiny and the GPT-2 small shapes as a fraction of this
 * machine's measured fp32 matrix-multiply peak in the same libtorch (DJL {@code NDArray.matMul}), on
 * the intra-op threads the JVM was given ({@code -Dai.djl.pytorch.num_threads}). Not a test; run with
 * {@code bench/model/flops.sh}.
 *
 * <p>FLOPs per trained token, two ways: the rule of thumb 6 N (N = all parameters, the tied
 * embedding counted once, which is the output projection's matmul), and the count used by
 * {@link ModelBenchmark}: 3 × forward, forward = 2 (12 L d² + V d) + 4 L T d (attention scores and
 * their weighted sum over T positions, no causal halving). Achieved FLOP/s use the second.
 *
 * <p>Arguments: [tinySteps=20] [gpt2Steps=3] [tinyVocab=512].
 */
public final class ModelFlopsBenchmark {
  private ModelFlopsBenchmark() {}

  /** One training shape: preset, batch rows and sequence length (tokens trained per row: seq - 1). */
  record Shape(String preset, int vocab, int batch, int seq, int steps) {}

  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    int tinySteps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int gpt2Steps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int tinyVocab = args.length > 2 ? Integer.parseInt(args[2]) : 512;
    String threads = System.getProperty("ai.djl.pytorch.num_threads", "default");

    double peak1024 = ModelBenchmark.matmulPeak(1024, 20);
    double peak2048 = ModelBenchmark.matmulPeak(2048, 5);
    double peak = Math.max(peak1024, peak2048);
    System.out.printf(Locale.ROOT, "fp32 matmul peak, %s intra-op thread(s), best of 20 at 1024² / 5 at 2048²: "
        + "%.1f / %.1f GFLOP/s; peak = %.1f GFLOP/s%n%n", threads, peak1024 / 1e9, peak2048 / 1e9, peak / 1e9);
    System.out.println("| shape | parameters N | batch × tokens | s per step | tokens/s | FLOP/token 6N | "
        + "FLOP/token 3 × forward | achieved GFLOP/s | fraction of peak |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    for (Shape s : List.of(new Shape("tiny", tinyVocab, 16, 64, tinySteps), new Shape("gpt2-small", 50257, 4, 128, gpt2Steps))) {
      Gpt2Config config = Gpt2Config.preset(s.preset(), s.vocab(), 1);
      double secondsPerStep = secondsPerStep(config, s);
      int tokensPerStep = s.batch() * (s.seq() - 1);
      double tokensPerS = tokensPerStep / secondsPerStep;
      double rule = 6.0 * config.parameterCount();
      double exact = 3 * ModelBenchmark.forwardFlops(config, s.seq() - 1);
      double achieved = tokensPerS * exact;
      System.out.printf(Locale.ROOT, "| %s | %,d | %d × %d | %.3f | %,.0f | %.3g | %.3g | %.1f | %.0f%% |%n",
          s.preset(), config.parameterCount(), s.batch(), s.seq() - 1, secondsPerStep, tokensPerS, rule, exact,
          achieved / 1e9, 100 * achieved / peak);
    }
  }

  /** Mean wall seconds of one AdamW SFT step (clip 1.0) on random tokens, after one warm-up step. */
  static double secondsPerStep(Gpt2Config config, Shape s) {
    SplittableRandom rng = new SplittableRandom(2);
    List<Example> data = new ArrayList<>();
    for (int b = 0; b < s.batch(); b++) {
      long[] resp = new long[s.seq() - 1];
      for (int t = 0; t < resp.length; t++) {
        resp[t] = 2 + rng.nextInt(config.vocabSize() - 2);
      }
      data.add(new Example(new long[] {1}, resp));
    }
    try (Policy policy = Policy.create(config, 1);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-4)))) {
      t.sftStep(data); // warm-up: first-touch allocations, JIT
      long t0 = System.nanoTime();
      for (int i = 0; i < s.steps(); i++) {
        t.sftStep(data);
      }
      return (System.nanoTime() - t0) / 1e9 / s.steps();
    }
  }
}
