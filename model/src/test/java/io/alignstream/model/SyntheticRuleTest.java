package io.alignstream.model;

import io.alignstream.model.gpt2.Gpt2Config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * End to end learning: SFT on "copy the digits" drives the loss down and greedy decoding then
 * follows the rule on prompts it never saw.
 */
class SyntheticRuleTest {
  static final int EOS = 1;
  static final int SEP = 12;
  static final int DIGITS = 4;
  static final Gpt2Config CONFIG = new Gpt2Config(13, 16, 64, 2, 4, 1e-5, 0, EOS);

  /** Prompt: 4 digits (ids 2..11) then SEP; response: the same digits then EOS. */
  static Example copy(SplittableRandom rng) {
    long[] prompt = new long[DIGITS + 1];
    long[] response = new long[DIGITS + 1];
    for (int i = 0; i < DIGITS; i++) {
      prompt[i] = 2 + rng.nextInt(10);
      response[i] = prompt[i];
    }
    prompt[DIGITS] = SEP;
    response[DIGITS] = EOS;
    return new Example(prompt, response);
  }

  @Test
  void sftLearnsToCopyDigits() {
    int steps = 300;
    SplittableRandom data = new SplittableRandom(1);
    try (Policy policy = Policy.create(CONFIG, 1);
        PolicyTrainer t = new PolicyTrainer(policy,
            new AdamW(new AdamWConfig(0.9, 0.98, 1e-8, 0.01, 1.0), LrSchedule.cosine(3e-3, 20, steps)))) {
      double first = 0;
      double last = 0;
      for (int s = 0; s < steps; s++) {
        List<Example> batch = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
          batch.add(copy(data));
        }
        double loss = t.sftStep(batch).loss();
        if (s == 0) {
          first = loss;
        }
        last = loss;
      }
      assertTrue(first > 2.0 && last < 0.1, "loss " + first + " -> " + last);

      SplittableRandom heldOut = new SplittableRandom(999);
      List<Example> tests = new ArrayList<>();
      List<long[]> prompts = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        tests.add(copy(heldOut));
        prompts.add(tests.get(i).prompt());
      }
      List<Sample> out = policy.generate(prompts, SamplingConfig.greedy(8), 0);
      int right = 0;
      for (int i = 0; i < tests.size(); i++) {
        if (java.util.Arrays.equals(tests.get(i).response(), out.get(i).responseIds())) {
          right++;
        }
      }
      assertTrue(right >= 19, right + "/20 copied exactly");
      assertArrayEquals(tests.get(0).response(), out.get(0).responseIds());
    }
  }
}
