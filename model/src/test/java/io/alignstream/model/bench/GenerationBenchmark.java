package io.alignstream.model.bench;

import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.SamplingConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Not a test: decoding throughput alone, tokens per second at a few batch sizes, with the median of
 * several timed rounds so that two builds can be compared side by side on a noisy machine
 * ({@code bench/model/generation-ab.sh} alternates them).
 *
 * <p>{@code java -cp <model test classpath> io.alignstream.model.bench.GenerationBenchmark [rounds=7]
 * [tokens=96] [batches=1,8]}; the tiny preset, vocab 512, temperature 1, no EOS stop.
 */
public final class GenerationBenchmark {
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 96;
    int[] batches = Arrays.stream((args.length > 2 ? args[2] : "1,8").split(",")).mapToInt(Integer::parseInt).toArray();
    Gpt2Config config = Gpt2Config.preset("tiny", 512, 1);
    SamplingConfig sampling = new SamplingConfig(1.0, 1.0, 0, tokens, false);
    try (Policy policy = Policy.create(config, 1)) {
      for (int batch : batches) {
        List<long[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
          prompts.add(new long[] {1, 2 + b, 3});
        }
        for (int i = 0; i < 5; i++) {
          policy.generate(prompts, sampling, i); // warm-up: JIT and libtorch's first calls
        }
        double[] perSecond = new double[rounds];
        double[] perCpuSecond = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          int calls = Math.max(1, 16 / batch);
          long t0 = System.nanoTime();
          long c0 = ModelBenchmark.cpuNanos();
          for (int i = 0; i < calls; i++) {
            policy.generate(prompts, sampling, 100 + r * calls + i);
          }
          double made = (double) batch * tokens * calls;
          perSecond[r] = made / ((System.nanoTime() - t0) / 1e9);
          perCpuSecond[r] = made / ((ModelBenchmark.cpuNanos() - c0) / 1e9);
        }
        Arrays.sort(perSecond);
        Arrays.sort(perCpuSecond);
        // Tokens per CPU-second of the whole process: less sensitive than wall time to other processes.
        System.out.printf("batch %d: median %.0f tokens/s (min %.0f, max %.0f), %.0f tokens per CPU-s, %d rounds%n",
            batch, perSecond[rounds / 2], perSecond[0], perSecond[rounds - 1], perCpuSecond[rounds / 2], rounds);
      }
    }
  }
}
