package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A policy and a reward model train on two threads of one process (DJL's GradientCollector would
 * forbid it), while a third thread generates: each result is bit-identical to training alone.
 */
class ConcurrentTrainingTest {
  static final Gpt2Config CONFIG = new Gpt2Config(20, 16, 16, 2, 2, 1e-5, 0, 1);
  static final List<Example> POS = TestData.randomExamples(6, 20, 1, 1);
  static final List<Example> NEG = TestData.randomExamples(6, 20, 1, 2);

  static byte[] trainPolicy() {
    try (Policy p = Policy.create(CONFIG, 1);
        PolicyTrainer t = new PolicyTrainer(p, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-2)))) {
      for (int i = 0; i < 15; i++) {
        t.sftStep(POS);
      }
      return p.weightsToBytes();
    }
  }

  static byte[] trainReward() {
    try (Policy p = Policy.create(CONFIG, 2); RewardModel r = RewardModel.fromPolicy(p, 3, 0.02);
        RewardTrainer t = new RewardTrainer(r, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-2)))) {
      for (int i = 0; i < 15; i++) {
        t.discriminatorStep(POS, NEG);
      }
      return r.weightsToBytes();
    }
  }

  @Test
  void twoTrainersAndAGeneratorInOneProcess() throws Exception {
    byte[] policyAlone = trainPolicy();
    byte[] rewardAlone = trainReward();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try (Policy sampler = Policy.create(CONFIG, 9)) {
      Future<byte[]> policy = pool.submit(ConcurrentTrainingTest::trainPolicy);
      Future<byte[]> reward = pool.submit(ConcurrentTrainingTest::trainReward);
      Future<?> gen = pool.submit(() -> {
        for (int i = 0; i < 10; i++) {
          sampler.generate(List.of(new long[] {2, 3}, new long[] {4}), SamplingConfig.sample(6), i);
        }
      });
      gen.get();
      assertArrayEquals(policyAlone, policy.get());
      assertArrayEquals(rewardAlone, reward.get());
    } finally {
      pool.shutdownNow();
    }
  }
}
