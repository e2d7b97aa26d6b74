package io.alignstream.app;

import io.alignstream.learner.Recipe;
import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.task.GoldenJudge;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * The report's upper bound: the loop's policy update (Best-of-K distillation at the recipe's policy
 * learning rate, K = {@code samples.per_prompt}, prompts per update as the run) from π_SFT, but every
 * group of samples ranked by the golden judge itself, the most likely success chosen. No reward model
 * can rank better than the judge, so (aligned − SFT only) / (oracle − SFT only) is the share of the
 * headroom a reward model captured. In process, with no Kafka: only the ranking differs from the loop.
 */
final class OracleLoop {
  private OracleLoop() {}

  /**
   * Trains {@code policy} (π_SFT, changed in place) for {@code updates} updates over {@code prompts},
   * cycling through them in shuffled rounds.
   *
   * @param onUpdate called after each update with its number, for progress
   */
  static void run(Policy policy, Tokenizer tokenizer, List<String> prompts, Recipe recipe, int updates,
      int maxNewTokens, long seed, IntConsumer onUpdate) {
    int k = recipe.samplesPerPrompt();
    int perUpdate = Math.min(recipe.promptsPerUpdate(), prompts.size());
    List<String> order = new ArrayList<>(prompts);
    Random random = new Random(seed);
    int cursor = order.size();
    List<SamplingConfig> how = new ArrayList<>(); // as the samplers draw: the first of K greedy if the recipe says so
    for (int r = 0; r < perUpdate * k; r++) {
      how.add(recipe.includeGreedy() && r % k == 0 ? SamplingConfig.greedy(maxNewTokens) : SamplingConfig.sample(maxNewTokens));
    }
    try (PolicyTrainer trainer = new PolicyTrainer(policy,
        new AdamW(AdamWConfig.defaults(), recipe.policySchedule()))) {
      for (int u = 1; u <= updates; u++) {
        List<String> part = new ArrayList<>();
        while (part.size() < perUpdate) {
          if (cursor == order.size()) {
            Collections.shuffle(order, random);
            cursor = 0;
          }
          part.add(order.get(cursor++));
        }
        List<long[]> repeated = new ArrayList<>();
        part.forEach(p -> repeated.addAll(Collections.nCopies(k, tokenizer.encode(p))));
        List<Sample> samples = policy.generate(repeated, how, seed * 7919 + u);
        List<Example> chosen = new ArrayList<>();
        for (int g = 0; g < part.size(); g++) {
          int best = -1;
          for (int i = g * k; i < (g + 1) * k; i++) {
            Sample s = samples.get(i);
            if (s.responseIds().length > 0
                && GoldenJudge.judge(part.get(g), tokenizer.decode(s.textIds())).success()
                && (best < 0 || s.logProb() > samples.get(best).logProb())) {
              best = i;
            }
          }
          if (best >= 0) {
            chosen.add(new Example(repeated.get(best), samples.get(best).responseIds()));
          }
        }
        if (!chosen.isEmpty()) {
          trainer.sftStep(chosen);
        }
        onUpdate.accept(u);
      }
    }
  }
}
