package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.gpt2.Gpt2Config;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Seeded sampling, padding correctness, limits, and generation racing a hot swap. */
class GenerationTest {
  static final Gpt2Config CONFIG = new Gpt2Config(30, 24, 32, 2, 4, 1e-5, 0, 1);
  static final List<long[]> PROMPTS = List.of(new long[] {4, 5, 6}, new long[] {7}, new long[] {8, 9, 10, 11, 12});

  @Test
  void sameSeedSameSamplesAndOtherSeedOtherSamples() {
    try (Policy policy = Policy.create(CONFIG, 1)) {
      SamplingConfig s = new SamplingConfig(1.0, 0.95, 20, 10, true);
      List<Sample> a = policy.generate(PROMPTS, s, 42);
      List<Sample> b = policy.generate(PROMPTS, s, 42);
      List<Sample> c = policy.generate(PROMPTS, s, 43);
      boolean differs = false;
      for (int i = 0; i < PROMPTS.size(); i++) {
        assertArrayEquals(a.get(i).responseIds(), b.get(i).responseIds());
        assertArrayEquals(a.get(i).logProbs(), b.get(i).logProbs());
        differs |= !java.util.Arrays.equals(a.get(i).responseIds(), c.get(i).responseIds());
        assertEquals(s, a.get(i).sampledFrom());
      }
      assertTrue(differs, "another seed gives other samples");
    }
  }

  @Test
  void aPaddedBatchDecodesEachRowAsItWouldAlone() {
    try (Policy policy = Policy.create(CONFIG, 2)) {
      SamplingConfig greedy = new SamplingConfig(0, 1, 0, 8, false);
      List<Sample> batched = policy.generate(PROMPTS, greedy, 0);
      for (int i = 0; i < PROMPTS.size(); i++) {
        Sample alone = policy.generate(List.of(PROMPTS.get(i)), greedy, 0).get(0);
        assertArrayEquals(alone.responseIds(), batched.get(i).responseIds(), "row " + i);
        assertArrayEquals(alone.logProbs(), batched.get(i).logProbs(), 1e-5f, "row " + i);
      }
    }
  }

  @Test
  void eachRowDecodesWithItsOwnSettingsAndTheSampledRowsDrawWhatTheyWouldAnyway() {
    try (Policy policy = Policy.create(CONFIG, 2)) {
      SamplingConfig sampled = new SamplingConfig(1.0, 1.0, 0, 8, false);
      SamplingConfig greedy = new SamplingConfig(0, 1, 0, 8, false);
      List<Sample> allSampled = policy.generate(PROMPTS, sampled, 7);
      List<Sample> mixed = policy.generate(PROMPTS, List.of(greedy, sampled, sampled), 7);
      Sample greedyAlone = policy.generate(List.of(PROMPTS.get(0)), greedy, 0).get(0);
      assertArrayEquals(greedyAlone.responseIds(), mixed.get(0).responseIds());
      assertArrayEquals(greedyAlone.logProbs(), mixed.get(0).logProbs(), 1e-5f);
      assertEquals(greedy, mixed.get(0).sampledFrom());
      for (int i = 1; i < PROMPTS.size(); i++) {
        assertArrayEquals(allSampled.get(i).responseIds(), mixed.get(i).responseIds(), "row " + i);
        assertEquals(sampled, mixed.get(i).sampledFrom());
      }
      assertThrows(IllegalArgumentException.class, () -> policy.generate(PROMPTS,
          List.of(greedy, sampled, new SamplingConfig(1.0, 1.0, 0, 9, false)), 7), "rows share the length limit");
      assertThrows(IllegalArgumentException.class, () -> policy.generate(PROMPTS, List.of(greedy, sampled), 7));
    }
  }

  @Test
  void limitsAndEosAreReported() {
    try (Policy policy = Policy.create(CONFIG, 3)) {
      for (Sample s : policy.generate(PROMPTS, new SamplingConfig(1.0, 1.0, 0, 6, true), 5)) {
        assertTrue(s.responseIds().length <= 6);
        long last = s.responseIds()[s.responseIds().length - 1];
        assertEquals(s.stoppedAtEos(), last == CONFIG.eosTokenId());
        if (!s.stoppedAtEos()) {
          assertEquals(6, s.responseIds().length);
        }
      }
      // The context caps the response: 24 - 5 = 19 tokens at most for the longest prompt.
      Sample capped = policy.generate(List.of(PROMPTS.get(2)), new SamplingConfig(1, 1, 0, 100, false), 1).get(0);
      assertEquals(19, capped.responseIds().length);
      assertFalse(capped.stoppedAtEos());
      assertThrows(IllegalArgumentException.class, () -> policy.generate(List.of(new long[0]), SamplingConfig.sample(3), 1));
    }
  }

  @Test
  void topKOneIsGreedy() {
    try (Policy policy = Policy.create(CONFIG, 4)) {
      List<Sample> k1 = policy.generate(PROMPTS, new SamplingConfig(1.0, 1.0, 1, 8, false), 9);
      List<Sample> greedy = policy.generate(PROMPTS, SamplingConfig.greedy(8), 9);
      for (int i = 0; i < PROMPTS.size(); i++) {
        assertArrayEquals(greedy.get(i).textIds(), k1.get(i).textIds());
      }
    }
  }

  @Test
  void everySampleMatchesExactlyTheVersionItNames() throws Exception {
    // Generation on two threads while a third hot-swaps between two weight sets: each sample's
    // behaviour log-probs must be those of the version it reports, never of a mixture.
    try (Policy live = Policy.create(CONFIG, 5); Policy a = Policy.create(CONFIG, 6); Policy b = Policy.create(CONFIG, 7)) {
      byte[][] weights = {a.weightsToBytes(), b.weightsToBytes()};
      live.loadWeights(weights[0], 0);
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Future<List<Sample>>> gens = new ArrayList<>();
        for (int g = 0; g < 2; g++) {
          int seed = g;
          gens.add(pool.submit(() -> {
            List<Sample> out = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
              out.addAll(live.generate(PROMPTS, SamplingConfig.sample(6), seed * 100 + i));
            }
            return out;
          }));
        }
        Future<?> swapper = pool.submit(() -> {
          for (int v = 1; v <= 12; v++) {
            live.loadWeights(weights[v % 2], v);
          }
        });
        swapper.get();
        int checked = 0;
        for (Future<List<Sample>> f : gens) {
          List<Sample> samples = f.get();
          for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            Policy source = s.policyVersion() % 2 == 0 ? a : b;
            double expected = source.sequenceLogProbs(List.of(new Example(PROMPTS.get(i % 3), s.responseIds())))[0];
            assertEquals(expected, s.logProb(), 1e-4);
            checked++;
          }
        }
        assertEquals(36, checked);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void generationRunsWithAutogradOffAndRestoresTheThreadsMode() throws Exception {
    try (Policy policy = Policy.create(CONFIG, 8)) {
      boolean[] seen = new boolean[4];
      Thread t = new Thread(() -> {
        seen[0] = ai.djl.pytorch.jni.JniUtils.isGradMode(); // libtorch starts new threads with it on
        policy.generate(PROMPTS, SamplingConfig.sample(3), 1);
        seen[1] = ai.djl.pytorch.jni.JniUtils.isGradMode();
        // Generation decodes through a Decoder, which keeps autograd off on its thread while open.
        policy.read(w -> {
          try (ai.djl.ndarray.NDManager m = policy.root.newSubManager(); TokenDecoder d = new TorchDecoder(CONFIG, w, m)) {
            d.prefill(PROMPTS);
            seen[2] |= ai.djl.pytorch.jni.JniUtils.isGradMode();
            d.step(new long[] {4, 5, 6});
            seen[2] |= ai.djl.pytorch.jni.JniUtils.isGradMode();
          }
          return null;
        });
        seen[3] = ai.djl.pytorch.jni.JniUtils.isGradMode();
      });
      t.start();
      t.join();
      assertTrue(seen[0], "a new thread starts with grad mode on");
      assertTrue(seen[1], "the thread's mode is restored after generation");
      assertFalse(seen[2], "no step of decoding records a graph");
      assertTrue(seen[3], "the thread's mode is restored when the decoder closes");
    }
  }
}
