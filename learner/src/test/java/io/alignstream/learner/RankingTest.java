package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RankingTest {
  // Two answers to one prompt: the first is what the policy usually says (log π = -1), the second a
  // rarity (log π = -6) the discriminator likes a little more (f = 0.5 vs 0.2).
  private final double[] mean = {0.2, 0.5};
  private final double[] std = {0.0, 0.0};
  private final double[] logPi = {-1.0, -6.0};

  @Test
  void discriminatorRankingIsTheConservativeRewardAlone() {
    double[] s = PolicyStep.rankingScores(mean, new double[] {0.1, 0.3}, logPi, Recipe.Ranking.DISCRIMINATOR, 1);
    assertArrayEquals(new double[] {0.1, 0.2}, s, 1e-12);
    assertEquals(1, argmax(s), "f alone prefers the rare answer");
  }

  @Test
  void expertLikelihoodAddsTheNegativesLogProbSoKnowledgeIsKept() {
    double[] s = PolicyStep.rankingScores(mean, std, logPi, Recipe.Ranking.EXPERT_LIKELIHOOD, 1);
    assertArrayEquals(new double[] {-0.8, -5.5}, s, 1e-12);
    assertEquals(0, argmax(s), "f + log π_neg estimates log p_demo: the usual answer wins");
  }

  @Test
  void theAnchoredRankingAddsItsLikelihoodTermAsTheExpertLikelihoodDoes() {
    // The term differs in where it comes from (π_SFT, frozen, not the sampling policy), not in how it adds.
    assertArrayEquals(PolicyStep.rankingScores(mean, std, logPi, Recipe.Ranking.EXPERT_LIKELIHOOD, 5),
        PolicyStep.rankingScores(mean, std, logPi, Recipe.Ranking.ANCHORED_LIKELIHOOD, 1), 0.0);
    // λ weighs the anchored term only: 0.2 + 2·(−1), 0.5 + 2·(−6).
    assertArrayEquals(new double[] {-1.8, -11.5},
        PolicyStep.rankingScores(mean, std, logPi, Recipe.Ranking.ANCHORED_LIKELIHOOD, 2), 1e-12);
  }

  @Test
  void theAnchoredLikelihoodIsTheDefaultAndEveryRankingParses() {
    assertEquals(Recipe.Ranking.ANCHORED_LIKELIHOOD, Recipe.defaults().ranking());
    assertEquals(Recipe.Ranking.EXPERT_LIKELIHOOD,
        Recipe.load(null, java.util.List.of("policy.ranking=expert_likelihood")).ranking());
    assertEquals(Recipe.Ranking.DISCRIMINATOR,
        Recipe.load(null, java.util.List.of("policy.ranking=discriminator")).ranking());
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Recipe.load(null, java.util.List.of("policy.ranking=best")));
    assertEquals("recipe: policy.ranking=best is not a ranking; use discriminator, expert_likelihood or anchored_likelihood", e.getMessage());
  }

  private static int argmax(double[] xs) {
    int best = 0;
    for (int i = 1; i < xs.length; i++) {
      best = xs[i] > xs[best] ? i : best;
    }
    return best;
  }
}
