package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.llama.LlamaConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Llama-family policy and reward model through the same API as GPT-2: training, end tokens, reward heads. */
class LlamaModelTest {
  static final LlamaConfig CONFIG = new LlamaConfig(LlamaConfig.Family.LLAMA, 20, 16, 16, 24, 2, 4, 2, 4, 1e-5, 10000,
      null, false, false, 0, List.of(1, 19));

  @Test
  void sftLearnsAndTheCheckpointResumesBitExactly(@TempDir Path dir) throws Exception {
    List<Example> batch = TestData.randomExamples(6, 19, 1, 4);
    CheckpointStore store = new CheckpointStore(dir);
    byte[] uninterrupted;
    Path checkpoint;
    try (Policy policy = Policy.create(CONFIG, 2);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(3e-3)))) {
      double first = t.sftStep(batch).loss();
      for (int i = 0; i < 20; i++) {
        t.sftStep(batch);
      }
      checkpoint = store.save(21, policy, t.optimizer(), null, null);
      double last = t.sftStep(batch).loss();
      assertTrue(last < first * 0.8, first + " -> " + last);
      uninterrupted = policy.weightsToBytes();
    }
    try (Policy policy = CheckpointStore.loadPolicy(checkpoint);
        PolicyTrainer t = new PolicyTrainer(policy, CheckpointStore.loadOptimizer(checkpoint))) {
      assertEquals(CONFIG, policy.config());
      t.sftStep(batch);
      assertArrayEquals(uninterrupted, policy.weightsToBytes());
    }
  }

  @Test
  void anyEndTokenEndsAResponse() throws Exception {
    // llama-tiny's eos_token_id is [2, 3]: sampling at a high temperature meets both soon enough.
    try (Policy policy = Policy.load(LlamaReferenceTest.fixture("llama-tiny"))) {
      boolean[] seen = new boolean[4];
      for (Sample s : policy.generate(java.util.Collections.nCopies(64, new long[] {5, 6}),
          new SamplingConfig(3.0, 1.0, 0, 40, true), 7)) {
        long last = s.responseIds()[s.responseIds().length - 1];
        for (int i = 0; i < s.responseIds().length - 1; i++) {
          assertFalse(s.responseIds()[i] == 2 || s.responseIds()[i] == 3, "generation went on past an end token");
        }
        if (s.stoppedAtEos()) {
          assertTrue(last == 2 || last == 3);
          seen[(int) last] = true;
        }
      }
      assertTrue(seen[2] && seen[3], "both end tokens ended some response");
    }
  }

  @Test
  void aRewardModelOverAnUntiedPolicyHasNoOutputLayer(@TempDir Path dir) throws Exception {
    List<Example> batch = TestData.randomExamples(4, 19, 1, 5);
    try (Policy policy = Policy.create(CONFIG, 3); RewardModel reward = RewardModel.fromPolicy(policy, 1, 0.1)) {
      assertEquals(policy.parameterCount() - 20L * 16 + 16 + 1, reward.parameterCount(), "lm_head out, score head in");
      double[] before = reward.score(batch);
      reward.save(dir.resolve("rm"));
      assertFalse(new String(Files.readAllBytes(dir.resolve("rm/model.safetensors")), java.nio.charset.StandardCharsets.ISO_8859_1)
          .contains("lm_head"));
      try (RewardModel loaded = RewardModel.load(dir.resolve("rm"))) {
        assertArrayEquals(before, loaded.score(batch), 0);
      }
      try (RewardTrainer t = new RewardTrainer(reward, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(3e-3)))) {
        double first = t.discriminatorStep(batch.subList(0, 2), batch.subList(2, 4)).loss();
        double last = first;
        for (int i = 0; i < 15; i++) {
          last = t.discriminatorStep(batch.subList(0, 2), batch.subList(2, 4)).loss();
        }
        assertTrue(last < first, first + " -> " + last);
      }
    }
  }
}
