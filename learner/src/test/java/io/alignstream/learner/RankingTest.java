package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.alignstream.model.Example;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void theContrastIsTheAnswersLogProbUnderItsPromptLessItsMeanUnderTheOthers(@TempDir java.nio.file.Path dir)
      throws java.io.IOException {
    try (var t = TinyModels.tokenizer(dir, "what is the capital of egypt two plus three cairo five answer ."); var pi = TinyModels.policy(t)) {
      long[] capital = t.encode("what is the capital of egypt");
      long[] sum = t.encode("what is two plus three");
      long[] third = t.encode("what is the answer");
      var examples = java.util.List.of(new Example(capital, t.responseIds("cairo .")),
          new Example(capital, t.responseIds("five .")), new Example(sum, t.responseIds("five .")),
          new Example(third, t.responseIds("answer .")));
      var groups = java.util.List.of(java.util.List.of(0, 1), java.util.List.of(2), java.util.List.of(3));
      double[] own = pi.sequenceLogProbs(examples);
      double[] c = PolicyStep.contrast(pi, groups, examples, own);
      // Example 1 ("five ." to the capital question) against the other two prompts, by hand:
      double[] elsewhere = pi.sequenceLogProbs(java.util.List.of(new Example(sum, examples.get(1).response()),
          new Example(third, examples.get(1).response())));
      double logMean = Math.log((Math.exp(elsewhere[0]) + Math.exp(elsewhere[1])) / 2);
      assertEquals(own[1] - logMean, c[1], 1e-9);
      assertEquals(examples.size(), c.length);
      var alone = PolicyStep.contrast(pi, java.util.List.of(java.util.List.of(0, 1)), examples.subList(0, 2), own);
      assertArrayEquals(new double[] {0, 0}, alone, 0.0, "one prompt has no others to compare with");
    }
  }

  @Test
  void theContrastNeedsTheAnchoredRanking() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Recipe.load(null,
        java.util.List.of("policy.contrast_weight=1", "policy.ranking=expert_likelihood")));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("anchored_likelihood"), e.getMessage());
    assertEquals(1.0, Recipe.load(null, java.util.List.of("policy.contrast_weight=1")).contrastWeight());
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
