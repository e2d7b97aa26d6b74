package io.alignstream.app;

import io.alignstream.learner.Recipe;
import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.task.Kind;
import io.alignstream.task.Scorecard;
import io.alignstream.task.TaskPrompt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The golden judge's verdict on a policy's answers to held-out prompts. Evaluation only: it lives
 * in the launcher, which is the one place allowed to see both the models and the judge.
 */
final class Evaluation {
  private Evaluation() {}

  /**
   * The success rate, the answers it was computed from, and the success rate of each kind of request
   * (lower-case kind name, in the task's order).
   */
  record Result(double success, List<String> responses, Map<String, Double> byKind) {}

  /** Greedy answers of {@code policy}, judged. */
  static Result greedy(Policy policy, Tokenizer tokenizer, List<TaskPrompt> prompts, int maxNewTokens) {
    return judge(policy, tokenizer, prompts, SamplingConfig.greedy(maxNewTokens), 1, null, null, 0);
  }

  /** One sampled answer per prompt (temperature 1), judged. */
  static Result sampled(Policy policy, Tokenizer tokenizer, List<TaskPrompt> prompts, int maxNewTokens, long seed) {
    return judge(policy, tokenizer, prompts, SamplingConfig.sample(maxNewTokens), 1, null, null, seed);
  }

  /**
   * Best-of-N: N samples per prompt, the one the reward ensemble ranks highest (mean − spread, plus the
   * sample's log-prob under the expert-likelihood ranking: the same rule the learner uses) is the
   * answer, judged.
   */
  static Result bestOfN(Policy policy, Tokenizer tokenizer, RewardEnsemble reward, Recipe.Ranking ranking,
      List<TaskPrompt> prompts, int n, int maxNewTokens, long seed) {
    return judge(policy, tokenizer, prompts, SamplingConfig.sample(maxNewTokens), n, reward, ranking, seed);
  }

  private static Result judge(Policy policy, Tokenizer tokenizer, List<TaskPrompt> prompts, SamplingConfig sampling,
      int n, RewardEnsemble reward, Recipe.Ranking ranking, long seed) {
    List<String> answers = new ArrayList<>();
    Scorecard card = new Scorecard();
    int chunk = Math.max(1, 64 / n);
    for (int from = 0; from < prompts.size(); from += chunk) {
      List<TaskPrompt> part = prompts.subList(from, Math.min(prompts.size(), from + chunk));
      List<long[]> ids = new ArrayList<>();
      for (TaskPrompt p : part) {
        long[] x = tokenizer.encode(p.text());
        for (int k = 0; k < n; k++) {
          ids.add(x);
        }
      }
      List<Sample> samples = policy.generate(ids, sampling, seed + from);
      for (int i = 0; i < part.size(); i++) {
        int best = i * n;
        if (n > 1) {
          List<Example> candidates = new ArrayList<>();
          for (int k = 0; k < n; k++) {
            candidates.add(new Example(ids.get(i * n + k), nonEmpty(samples.get(i * n + k).responseIds(), tokenizer)));
          }
          var scores = reward.score(candidates);
          double bestScore = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < n; k++) {
            double s = scores.mean()[k] - scores.std()[k]
                + (ranking == Recipe.Ranking.EXPERT_LIKELIHOOD ? samples.get(i * n + k).logProb() : 0);
            if (s > bestScore) {
              bestScore = s;
              best = i * n + k;
            }
          }
        }
        String response = tokenizer.decode(samples.get(best).textIds());
        answers.add(response);
        card.add(part.get(i).text(), response);
      }
    }
    Map<String, Double> byKind = new LinkedHashMap<>();
    for (Kind k : Kind.values()) {
      if (prompts.stream().anyMatch(p -> p.kind() == k)) {
        byKind.put(k.name().toLowerCase(Locale.ROOT), card.successRate(k));
      }
    }
    // Over every prompt: one the judge does not know counts as a failure, not as left out.
    return new Result(prompts.isEmpty() ? 0 : (double) card.successes() / prompts.size(), answers, byKind);
  }

  private static long[] nonEmpty(long[] ids, Tokenizer tokenizer) {
    return ids.length > 0 ? ids : new long[] {tokenizer.eosId()};
  }
}
