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
   * The success rate, the answers it was computed from (the first answer per prompt), the success of
   * each prompt (the share of its answers that succeeded) and the success rate of each kind of request
   * (lower-case kind name, in the task's order).
   */
  record Result(double success, List<String> responses, double[] perPrompt, Map<String, Double> byKind) {
    /** Half-width of the 95% interval of the mean over prompts (normal approximation). */
    double halfWidth() {
      return Evaluation.halfWidth(perPrompt, new double[perPrompt.length]);
    }
  }

  /** Greedy answers of {@code policy}, judged. */
  static Result greedy(Policy policy, Tokenizer tokenizer, List<TaskPrompt> prompts, int maxNewTokens) {
    return judge(policy, tokenizer, prompts, SamplingConfig.greedy(maxNewTokens), 1, false, null, null, 0);
  }

  /** {@code samples} sampled answers per prompt (temperature 1), every one judged. */
  static Result sampled(Policy policy, Tokenizer tokenizer, List<TaskPrompt> prompts, int maxNewTokens, int samples,
      long seed) {
    return judge(policy, tokenizer, prompts, SamplingConfig.sample(maxNewTokens), samples, false, null, null, seed);
  }

  /**
   * Best-of-N: N samples per prompt, the one the reward ensemble ranks highest (mean − spread, plus the
   * sample's log-prob under the expert-likelihood ranking: the same rule the learner uses) is the
   * answer, judged.
   */
  static Result bestOfN(Policy policy, Tokenizer tokenizer, RewardEnsemble reward, Recipe.Ranking ranking,
      List<TaskPrompt> prompts, int n, int maxNewTokens, long seed) {
    return judge(policy, tokenizer, prompts, SamplingConfig.sample(maxNewTokens), n, true, reward, ranking, seed);
  }

  /**
   * Half-width of the 95% interval of mean(a − b) over prompts, paired (normal approximation): how
   * sure a difference between two policies judged on the same prompts is.
   */
  static double halfWidth(double[] a, double[] b) {
    int n = a.length;
    if (n < 2) {
      return Double.NaN;
    }
    double mean = 0;
    for (int i = 0; i < n; i++) {
      mean += a[i] - b[i];
    }
    mean /= n;
    double var = 0;
    for (int i = 0; i < n; i++) {
      double d = a[i] - b[i] - mean;
      var += d * d;
    }
    return 1.96 * Math.sqrt(var / (n - 1) / n);
  }

  private static Result judge(Policy policy, Tokenizer tokenizer, List<TaskPrompt> prompts, SamplingConfig sampling,
      int n, boolean pickBest, RewardEnsemble reward, Recipe.Ranking ranking, long seed) {
    List<String> answers = new ArrayList<>();
    double[] perPrompt = new double[prompts.size()];
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
        List<Integer> judged = new ArrayList<>();
        if (pickBest) {
          judged.add(best(samples, ids, i, n, reward, ranking, tokenizer));
        } else {
          for (int k = 0; k < n; k++) {
            judged.add(i * n + k);
          }
        }
        int ok = 0;
        for (int j : judged) {
          String response = tokenizer.decode(samples.get(j).textIds());
          if (j == judged.get(0)) {
            answers.add(response);
          }
          ok += card.add(part.get(i).text(), response).map(v -> v.success() ? 1 : 0).orElse(0);
        }
        perPrompt[from + i] = (double) ok / judged.size();
      }
    }
    Map<String, Double> byKind = new LinkedHashMap<>();
    for (Kind k : Kind.values()) {
      if (prompts.stream().anyMatch(p -> p.kind() == k)) {
        byKind.put(k.name().toLowerCase(Locale.ROOT), card.successRate(k));
      }
    }
    // Over every prompt: one the judge does not know counts as a failure, not as left out.
    double mean = 0;
    for (double x : perPrompt) {
      mean += x;
    }
    return new Result(prompts.isEmpty() ? 0 : mean / prompts.size(), answers, perPrompt, byKind);
  }

  /**
   * The sample of prompt {@code i} the reward ensemble ranks highest, as the learner ranks them; the
   * likelihood term is the sampling policy's own log-prob (under the anchored ranking that is π_SFT's
   * exactly when the policy sampled is π_SFT, as in a Best-of-N from the SFT stage).
   */
  private static int best(List<Sample> samples, List<long[]> ids, int i, int n, RewardEnsemble reward,
      Recipe.Ranking ranking, Tokenizer tokenizer) {
    List<Example> candidates = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      candidates.add(new Example(ids.get(i * n + k), nonEmpty(samples.get(i * n + k).responseIds(), tokenizer)));
    }
    var scores = reward.score(candidates);
    int best = i * n;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < n; k++) {
      double s = scores.mean()[k] - scores.std()[k]
          + (ranking == Recipe.Ranking.DISCRIMINATOR ? 0 : samples.get(i * n + k).logProb());
      if (s > bestScore) {
        bestScore = s;
        best = i * n + k;
      }
    }
    return best;
  }

  private static long[] nonEmpty(long[] ids, Tokenizer tokenizer) {
    return ids.length > 0 ? ids : new long[] {tokenizer.eosId()};
  }
}
