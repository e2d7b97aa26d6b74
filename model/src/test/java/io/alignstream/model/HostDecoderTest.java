package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding on the JVM samples the same tokens with the same behaviour log-probs (within 1e-4) as
 * decoding through libtorch, for every family, batched with prompts of different lengths.
 */
class HostDecoderTest {

  @ParameterizedTest
  @ValueSource(strings = {"gpt2", "llama-tiny", "qwen2-tiny", "qwen3-tiny"})
  void samplesAndLogProbsEqualTheLibtorchPath(String name) throws Exception {
    List<long[]> prompts = List.of(new long[] {5, 6, 7}, new long[] {8, 9, 10, 11, 12, 13}, new long[] {14},
        new long[] {3, 3, 4, 4, 5});
    try (Policy policy = KvCacheTest.model(name, 21)) {
      for (SamplingConfig sampling : List.of(new SamplingConfig(1.0, 1.0, 0, 20, true),
          new SamplingConfig(0.8, 0.9, 12, 20, true), SamplingConfig.greedy(20))) {
        List<Sample> torch = run(policy, "torch", prompts, sampling);
        List<Sample> jvm = run(policy, "jvm", prompts, sampling);
        int tokens = 0;
        for (int b = 0; b < prompts.size(); b++) {
          assertArrayEquals(torch.get(b).responseIds(), jvm.get(b).responseIds(), name + " row " + b + " " + sampling);
          assertArrayEquals(torch.get(b).logProbs(), jvm.get(b).logProbs(), 1e-4f, name + " row " + b);
          assertEquals(torch.get(b).stoppedAtEos(), jvm.get(b).stoppedAtEos());
          tokens += jvm.get(b).responseIds().length;
        }
        assertTrue(tokens > 20, "the rows decoded " + tokens + " tokens");
      }
    }
  }

  private static List<Sample> run(Policy policy, String kind, List<long[]> prompts, SamplingConfig sampling) {
    return policy.read(w -> {
      try (NDManager m = policy.root.newSubManager(); TokenDecoder d = KvCacheTest.decoder(kind, policy, w, m)) {
        return SamplingLoop.run(policy.config(), d, prompts, java.util.Collections.nCopies(prompts.size(), sampling), 5, policy.version());
      }
    });
  }
}
