package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Per-token decoding: truncation sets, renormalised frequencies and the unmodified log-prob. */
class TokenSamplerTest {
  static float[] logits(double... probs) {
    float[] l = new float[probs.length];
    for (int i = 0; i < probs.length; i++) {
      l[i] = (float) Math.log(probs[i]);
    }
    return l;
  }

  @Test
  void nucleusKeepsTheSmallestPrefixReachingTopPAndRenormalises() {
    float[] l = logits(0.5, 0.3, 0.15, 0.05);
    TokenSampler s = new TokenSampler(new SamplingConfig(1.0, 0.7, 0, 1, true), 1);
    int[] counts = new int[4];
    for (int i = 0; i < 20000; i++) {
      TokenSampler.Choice c = s.next(l, 0, 4);
      counts[c.token()]++;
      assertEquals(Math.log(new double[] {0.5, 0.3, 0.15, 0.05}[c.token()]), c.logProb(), 1e-6,
          "log-prob under the unmodified distribution");
    }
    assertEquals(0, counts[2] + counts[3]);
    assertEquals(0.625, counts[0] / 20000.0, 0.02);
  }

  @Test
  void topKAndTemperatureOnALargeFlatVocabulary() {
    int v = 50257;
    float[] l = new float[v]; // uniform: the head-only shortcut cannot decide, the full sort must
    TokenSampler s = new TokenSampler(new SamplingConfig(0.5, 0.9, 0, 1, true), 2);
    for (int i = 0; i < 20; i++) {
      TokenSampler.Choice c = s.next(l, 0, v);
      assertTrue(c.token() < (int) Math.ceil(0.9 * v), "ties break by id, so the nucleus is the lowest ids");
      assertEquals(-Math.log(v), c.logProb(), 1e-5);
    }
    float[] peaked = new float[v];
    peaked[7] = 20;
    peaked[9] = 19;
    TokenSampler k2 = new TokenSampler(new SamplingConfig(1.0, 1.0, 2, 1, true), 3);
    for (int i = 0; i < 50; i++) {
      int t = k2.next(peaked, 0, v).token();
      assertTrue(t == 7 || t == 9, "top-2 only, got " + t);
    }
  }
}
