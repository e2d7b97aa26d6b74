package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Learning-rate schedule values, AdamW bias correction, decoupled decay and global-norm clipping. */
class OptimizerTest {
  static final Gpt2Config CONFIG = new Gpt2Config(12, 8, 8, 1, 2, 1e-5, 0, 1);
  static final List<Example> BATCH = TestData.randomExamples(4, 12, 1, 9);

  @Test
  void scheduleWarmsUpThenDecays() {
    LrSchedule cos = new LrSchedule(1.0, 10, 110, LrSchedule.Decay.COSINE, 0.1);
    assertEquals(0.1, cos.at(1), 1e-12);
    assertEquals(1.0, cos.at(10), 1e-12);
    assertEquals(0.1 + 0.9 * 0.5, cos.at(60), 1e-12);
    assertEquals(0.1, cos.at(110), 1e-12);
    assertEquals(0.1, cos.at(500), 1e-12);
    LrSchedule lin = new LrSchedule(2.0, 0, 100, LrSchedule.Decay.LINEAR, 0.0);
    assertEquals(1.0, lin.at(50), 1e-12);
    assertEquals(3.0, LrSchedule.constant(3.0).at(1000), 0);
    assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1, 10, 5, LrSchedule.Decay.COSINE, 0));
  }

  @Test
  void firstAdamStepMovesEachEntryByTheLearningRate() {
    // Bias-corrected Adam's first step is lr * g / (|g| + eps): magnitude lr wherever g != 0.
    try (Policy policy = Policy.create(CONFIG, 1);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(new AdamWConfig(0.9, 0.999, 1e-12, 0, 0),
            LrSchedule.constant(1e-3)))) {
      float[] before = policy.read(w -> w.get("h.0.mlp.c_fc.weight").toFloatArray());
      StepStats s = t.sftStep(BATCH);
      float[] after = policy.read(w -> w.get("h.0.mlp.c_fc.weight").toFloatArray());
      int moved = 0;
      for (int i = 0; i < before.length; i++) {
        double d = Math.abs(after[i] - before[i]);
        if (d > 0) {
          assertEquals(1e-3, d, 2e-6);
          moved++;
        }
      }
      assertTrue(moved > before.length / 2);
      assertEquals(1, s.step());
      assertEquals(1, policy.version());
    }
  }

  @Test
  void clippingScalesEveryGradientByTheSameFactor() {
    // With beta1 = beta2 = 0 and a huge eps the update is ~ lr * g_clipped / eps: linear in the gradient.
    double norm;
    float[] full;
    try (Policy policy = Policy.create(CONFIG, 2);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(new AdamWConfig(0, 0, 1e3, 0, 0), LrSchedule.constant(1)))) {
      float[] before = flat(policy);
      norm = t.sftStep(BATCH).gradNorm();
      full = diff(flat(policy), before);
    }
    try (Policy policy = Policy.create(CONFIG, 2);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(new AdamWConfig(0, 0, 1e3, 0, norm / 4),
            LrSchedule.constant(1)))) {
      float[] before = flat(policy);
      StepStats s = t.sftStep(BATCH);
      assertEquals(norm, s.gradNorm(), 1e-9 * norm);
      float[] clipped = diff(flat(policy), before);
      double num = 0;
      double den = 0;
      for (int i = 0; i < full.length; i++) {
        num += (double) clipped[i] * full[i];
        den += (double) full[i] * full[i];
      }
      assertEquals(0.25, num / den, 1e-3);
    }
  }

  @Test
  void weightDecayIsDecoupledAndSkipsVectors() {
    try (Policy policy = Policy.create(CONFIG, 3);
        PolicyTrainer t = new PolicyTrainer(policy, new AdamW(new AdamWConfig(0.9, 0.999, 1e-8, 0.5, 0),
            LrSchedule.constant(0.1)))) {
      // Position 7 is never used by these short sequences: no gradient, only decay.
      float[] before = policy.read(w -> w.get("wpe.weight").get("7").toFloatArray());
      t.sftStep(BATCH);
      float[] after = policy.read(w -> w.get("wpe.weight").get("7").toFloatArray());
      for (int i = 0; i < before.length; i++) {
        assertEquals(before[i] * (1 - 0.1 * 0.5), after[i], 1e-7);
      }
    }
  }

  static float[] flat(Policy p) {
    return p.read(w -> {
      int n = 0;
      for (var a : w.arrays().values()) {
        n += (int) a.size();
      }
      float[] out = new float[n];
      int at = 0;
      for (var a : w.arrays().values()) {
        float[] v = a.toFloatArray();
        System.arraycopy(v, 0, out, at, v.length);
        at += v.length;
      }
      return out;
    });
  }

  static float[] diff(float[] a, float[] b) {
    float[] d = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] - b[i];
    }
    return d;
  }
}
