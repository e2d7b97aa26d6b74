package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Guards the DJL pitfall where a Java scalar wrapped as a tensor is freed by GC before backward: a
 * training run with a thread forcing {@code System.gc()} must be bit-identical to a quiet run, and
 * native arrays must not accumulate over hundreds of steps.
 */
class GcStressTest {
  static final Gpt2Config CONFIG = new Gpt2Config(16, 16, 16, 2, 2, 1e-5, 0, 1);

  @Test
  void trainingUnderForcedGcIsBitIdenticalToQuietTraining() throws Exception {
    Run quiet = train(false, 20);
    Run noisy = train(true, 20);
    assertTrue(noisy.gcs > 5, "the GC thread ran " + noisy.gcs + " times");
    assertEquals(quiet.losses, noisy.losses);
    assertArrayEquals(quiet.weights, noisy.weights);
    assertTrue(quiet.losses.get(19) < quiet.losses.get(0), "loss fell: " + quiet.losses);
  }

  @Test
  void liveNativeArraysStayFlatOverHundredsOfSteps() {
    try (Policy policy = Policy.create(CONFIG, 4);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-3)));
        RewardModel reward = RewardModel.fromPolicy(policy, 1, 0.02);
        RewardTrainer rt = new RewardTrainer(reward, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-3)))) {
      List<Example> batch = TestData.randomExamples(4, 16, 1, 1);
      List<Example> other = TestData.randomExamples(4, 16, 1, 2);
      PreferencePair pair = new PreferencePair(batch.get(0).prompt(), batch.get(0).response(),
          other.get(0).response(), -3, -4);
      int[] baseline = null;
      for (int step = 0; step < 300; step++) {
        t.sftStep(batch);
        if (step % 20 == 0) {
          t.preferenceStep(List.of(pair), PreferenceConfig.dpo(0.1));
          rt.discriminatorStep(batch, other);
          policy.generate(List.of(new long[] {3, 4}, new long[] {5}), SamplingConfig.sample(4), step);
          policy.sequenceLogProbs(batch);
          reward.score(batch);
        }
        int[] live = {Probes.liveArrays(policy), t.optimizer().liveArrays(), Probes.liveArrays(reward), rt.optimizer().liveArrays()};
        if (step == 1) {
          baseline = live;
        } else if (step > 1) {
          assertArrayEquals(baseline, live, "live arrays at step " + step);
        }
      }
    }
  }

  record Run(List<Double> losses, byte[] weights, long gcs) {}

  private static Run train(boolean withGc, int steps) throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong gcs = new AtomicLong();
    Thread gc = new Thread(() -> {
      while (!stop.get()) {
        System.gc();
        gcs.incrementAndGet();
      }
    }, "gc-hammer");
    if (withGc) {
      gc.start();
    }
    List<Double> losses = new ArrayList<>();
    byte[] weights;
    try (Policy policy = Policy.create(CONFIG, 8);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.cosine(3e-3, 3, steps)))) {
      for (int i = 0; i < steps; i++) {
        losses.add(t.sftStep(TestData.randomExamples(8, 16, 1, 100 + i % 3)).loss());
        losses.add(t.preferenceStep(List.of(new PreferencePair(new long[] {2, 3}, new long[] {4, 1}, new long[] {5, 1},
            -2, -2)), PreferenceConfig.dpo(0.1)).loss());
      }
      weights = policy.weightsToBytes();
    } finally {
      stop.set(true);
      if (withGc) {
        gc.join();
      }
    }
    List<Double> sft = new ArrayList<>();
    for (int i = 0; i < losses.size(); i += 2) {
      sft.add(losses.get(i));
    }
    return new Run(sft, weights, gcs.get());
  }
}
