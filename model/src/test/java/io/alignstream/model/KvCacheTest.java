package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Incremental decoding with a KV cache must agree with recomputing the whole sequence. */
class KvCacheTest {
  static final Gpt2Config CONFIG = new Gpt2Config(40, 32, 32, 2, 4, 1e-5, 0, 1);

  @Test
  void cachedLogitsMatchFullRecomputationForPaddedBatch() {
    try (Policy policy = Policy.create(CONFIG, 11)) {
      List<long[]> prompts = List.of(new long[] {5, 6, 7}, new long[] {8, 9, 10, 11, 12, 13}, new long[] {14});
      SamplingConfig sampling = new SamplingConfig(1.3, 0.95, 0, 12, false);
      List<Sample> samples = policy.generate(prompts, sampling, 3);
      // The decoder generation ran, fed the sampled tokens step by step, against full passes.
      List<float[]> steps = policy.read(w -> {
        List<float[]> out = new ArrayList<>();
        try (NDManager m = policy.root.newSubManager(); Decoder decoder = new Decoder(CONFIG, w, m)) {
          out.add(decoder.prefill(prompts));
          for (int t = 0; t < 11; t++) {
            long[] next = new long[prompts.size()];
            for (int b = 0; b < next.length; b++) {
              next[b] = samples.get(b).responseIds()[t];
            }
            out.add(decoder.step(next));
          }
        }
        return out;
      });
      double worst = 0;
      for (int b = 0; b < prompts.size(); b++) {
        long[] prompt = prompts.get(b);
        long[] response = samples.get(b).responseIds();
        assertEquals(12, response.length);
        long[] full = concat(prompt, response);
        float[] recomputed = Probes.logits(policy, full); // (seq, vocab)
        for (int t = 0; t < response.length; t++) {
          int row = prompt.length - 1 + t;
          for (int v = 0; v < CONFIG.vocabSize(); v++) {
            float cached = steps.get(t)[b * CONFIG.vocabSize() + v];
            float fresh = recomputed[row * CONFIG.vocabSize() + v];
            worst = Math.max(worst, Math.abs(cached - fresh));
          }
        }
      }
      assertTrue(worst < 1e-5, "max |cached - full| = " + worst);
    }
  }

  @Test
  void behaviourLogProbsSumToTeacherForcedSequenceLogProb() {
    try (Policy policy = Policy.create(CONFIG, 12)) {
      List<long[]> prompts = List.of(new long[] {2, 3}, new long[] {4, 5, 6, 7}, new long[] {9, 9, 9});
      // Temperature and truncation change how tokens are drawn, never the reported log-probs.
      SamplingConfig sampling = new SamplingConfig(0.7, 0.8, 10, 10, true);
      List<Sample> samples = policy.generate(prompts, sampling, 99);
      List<Example> examples = new ArrayList<>();
      for (int b = 0; b < prompts.size(); b++) {
        examples.add(new Example(prompts.get(b), samples.get(b).responseIds()));
      }
      double[] teacherForced = policy.sequenceLogProbs(examples);
      float[][] perToken = policy.tokenLogProbs(examples);
      for (int b = 0; b < prompts.size(); b++) {
        Sample s = samples.get(b);
        assertEquals(teacherForced[b], s.logProb(), 1e-4, "row " + b);
        for (int t = 0; t < s.logProbs().length; t++) {
          assertEquals(perToken[b][t], s.logProbs()[t], 1e-5, "row " + b + " token " + t);
        }
      }
    }
  }

  static long[] concat(long[] a, long[] b) {
    long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
