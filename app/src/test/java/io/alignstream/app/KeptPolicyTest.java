package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.learner.DemoLikeness.Measure;
import org.junit.jupiter.api.Test;

/** The keep rule: π_SFT replaces the loop only when the loop's precision is significantly lower. */
class KeptPolicyTest {
  private static Measure precision(double p, int answers) {
    return new Measure(p, 1.0, answers);
  }

  @Test
  void aTieOrASmallDifferenceWithinTheNoiseKeepsTheLoop() {
    assertTrue(KeptPolicy.keepsLoop(precision(0.60, 320), precision(0.60, 320)));
    assertTrue(KeptPolicy.keepsLoop(precision(1.0, 260), precision(1.0, 260)), "both perfect: a tie");
    // 1.7 points below on 320 answers each: the difference's standard error is 3.9 points
    assertTrue(KeptPolicy.keepsLoop(precision(0.596, 320), precision(0.613, 320)));
    assertTrue(KeptPolicy.keepsLoop(precision(0.80, 1984), precision(0.77, 1984)), "higher always keeps");
  }

  @Test
  void aLoopSignificantlyFurtherFromTheDemonstrationsIsReplaced() {
    // 5 points below on 260 answers (a collapse on a five-prompt task): about 2.2 standard errors
    assertFalse(KeptPolicy.keepsLoop(precision(0.95, 260), precision(1.0, 260)));
    // the same 1.7 points that stay within the noise at 320 answers are significant at 20,000
    assertFalse(KeptPolicy.keepsLoop(precision(0.596, 20_000), precision(0.613, 20_000)));
  }
}
