package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.gpt2.Gpt2Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reward model initialisation, discriminator training and the ensemble's statistics. */
class RewardModelTest {
  static final Gpt2Config CONFIG = new Gpt2Config(20, 16, 32, 2, 4, 1e-5, 0, 1);

  /** Responses starting with token 3 are "expert", with token 4 "policy". */
  static List<Example> population(long first, int n, long seed) {
    List<Example> out = new ArrayList<>();
    for (Example e : TestData.randomExamples(n, 20, 1, seed)) {
      long[] r = new long[e.response().length + 1];
      r[0] = first;
      System.arraycopy(e.response(), 0, r, 1, e.response().length);
      out.add(new Example(e.prompt(), r));
    }
    return out;
  }

  @Test
  void zeroHeadScoresZeroAndTrainingSeparatesPopulations() {
    try (Policy policy = Policy.create(CONFIG, 1); RewardModel rm = RewardModel.fromPolicy(policy, 0, 0.0);
        RewardTrainer t = new RewardTrainer(rm, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(3e-3)))) {
      List<Example> pos = population(3, 16, 1);
      List<Example> neg = population(4, 16, 2);
      assertArrayEquals(new double[16], rm.score(pos), 0);
      StepStats first = t.discriminatorStep(pos, neg);
      assertEquals(2 * Math.log(2), first.loss(), 1e-6, "f = 0 gives log 2 per side");
      StepStats last = first;
      for (int i = 0; i < 40; i++) {
        last = t.discriminatorStep(pos, neg);
      }
      assertTrue(last.loss() < 0.1, "loss " + last.loss());
      assertEquals(1.0, last.metrics().get("accuracy"));
      // Held-out members of each population are told apart as well: the head reads the mean over the
      // response, so the one token that differs is diluted, and the test asks for ranking, not the sign.
      double[] heldPos = rm.score(population(3, 8, 3));
      double[] heldNeg = rm.score(population(4, 8, 4));
      int right = 0;
      for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 8; j++) {
          right += heldPos[i] > heldNeg[j] ? 1 : 0;
        }
      }
      assertTrue(right >= 56, "held-out pairs ranked right: " + right + " of 64");
    }
  }

  @Test
  void ensembleReportsEveryMemberWithMeanAndSpread(@TempDir Path dir) throws Exception {
    List<Example> pos = population(3, 8, 5);
    List<Example> neg = population(4, 8, 6);
    try (Policy policy = Policy.create(CONFIG, 2); RewardEnsemble ens = RewardEnsemble.fromPolicy(policy, 3, 10, 0.05)) {
      for (int i = 0; i < 3; i++) {
        List<StepStats> stats = ens.discriminatorStep(pos, neg,
            () -> new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-3)));
        assertEquals(3, stats.size());
      }
      RewardEnsemble.Scores s = ens.score(pos);
      assertEquals(3, s.perMember().length);
      for (int j = 0; j < pos.size(); j++) {
        double a = s.perMember()[0][j];
        double b = s.perMember()[1][j];
        double c = s.perMember()[2][j];
        double mean = (a + b + c) / 3;
        assertEquals(mean, s.mean()[j], 1e-12);
        assertEquals(Math.sqrt(((a - mean) * (a - mean) + (b - mean) * (b - mean) + (c - mean) * (c - mean)) / 3),
            s.std()[j], 1e-12);
        assertTrue(s.std()[j] > 0, "members differ");
      }
      ens.save(dir);
      try (RewardEnsemble loaded = RewardEnsemble.load(dir, 0)) {
        assertEquals(3, loaded.size());
        assertArrayEquals(s.mean(), loaded.score(pos).mean(), 0);
      }
    }
  }
}
