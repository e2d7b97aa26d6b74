package io.alignstream.app;

import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.PreferenceConfig;
import io.alignstream.model.PreferencePair;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.GoldenJudge;
import io.alignstream.task.TaskConfig;
import io.alignstream.task.TaskPrompt;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Not a test: an upper bound on what any reward model can give the loop on the built-in task. The
 * loop's policy update (Best-of-N distillation or DPO against the behaviour log-probs, as in
 * {@code Learner}) from π_SFT, but every group of K samples is ranked by the golden judge itself: the
 * chosen sample is the most likely success, the rejected one the most likely failure. No discriminator
 * can rank better than this, so if this does not lift greedy success clearly above π_SFT, no recipe of
 * the loop will. {@code greedy_in_group=1} puts the policy's greedy answer in every group (as its
 * last sample), so the update sees, and can push down, exactly what greedy decoding says.
 *
 * <p>{@code java -cp <app test classpath> -Dwork=DIR io.alignstream.app.OracleBound [key=value ...]}
 * with keys pretrain (3500: DIR/base-30000-3500 made by {@link AlignmentExperiment}), objective
 * (dpo | best_of_n), lr (2e-4), updates (60), prompts (16 per update), k (8), demo_weight (0.5, Best-of-N
 * only), greedy_in_group (1), eval_every (20).
 */
public final class OracleBound {
  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    List<String> sets = new ArrayList<>(Arrays.asList(args));
    int pretrain = (int) AlignmentExperiment.doubleArg(sets, "pretrain", 3500);
    boolean dpo = sets.remove("objective=dpo") || !sets.remove("objective=best_of_n");
    double lr = AlignmentExperiment.doubleArg(sets, "lr", 2e-4);
    int updates = (int) AlignmentExperiment.doubleArg(sets, "updates", 60);
    int promptsPerUpdate = (int) AlignmentExperiment.doubleArg(sets, "prompts", 16);
    int k = (int) AlignmentExperiment.doubleArg(sets, "k", 8);
    double demoWeight = AlignmentExperiment.doubleArg(sets, "demo_weight", 0.5);
    boolean greedyInGroup = AlignmentExperiment.doubleArg(sets, "greedy_in_group", 1) == 1;
    int evalEvery = (int) AlignmentExperiment.doubleArg(sets, "eval_every", 20);
    String onlyKind = sets.stream().filter(a -> a.startsWith("kind=")).findFirst().map(a -> a.substring(5)).orElse(null);
    sets.removeIf(a -> a.startsWith("kind="));
    if (!sets.isEmpty()) {
      throw new IllegalArgumentException("unknown arguments " + sets);
    }
    Path base = Path.of(System.getProperty("work", "/tmp/align-exp"))
        .resolve("base-" + TaskConfig.defaults().corpusSize() + "-" + pretrain);
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults());
    System.out.printf("oracle bound: %s, lr %.0e, %d updates × %d prompts × K=%d, greedy in group %b%n",
        dpo ? "dpo" : "best_of_n", lr, updates, promptsPerUpdate, k, greedyInGroup);
    try (Tokenizer tok = Tokenizer.load(base); Policy policy = Policy.load(base)) {
      List<Example> demos = new ArrayList<>();
      task.demonstrations().forEach(e -> demos.add(new Example(tok.encode(e.prompt()), tok.responseIds(e.response()))));
      AlignmentExperiment.train(policy, demos, 150, 16, 3e-4, 2); // the learner's SFT stage (recipe defaults)
      AlignmentExperiment.report("π_SFT", policy, tok, task.evalPrompts());
      List<String> prompts = new ArrayList<>(task.trainPrompts().stream()
          .filter(p -> onlyKind == null || p.kind().name().equalsIgnoreCase(onlyKind)).map(TaskPrompt::text).toList());
      Random random = new Random(3);
      try (PolicyTrainer trainer = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(lr)))) {
        for (int u = 1; u <= updates; u++) {
          Collections.shuffle(prompts, random);
          List<String> part = prompts.subList(0, promptsPerUpdate);
          List<long[]> encoded = new ArrayList<>();
          part.forEach(p -> encoded.add(tok.encode(p)));
          List<long[]> repeated = new ArrayList<>();
          encoded.forEach(p -> repeated.addAll(Collections.nCopies(k, p)));
          List<Sample> samples = new ArrayList<>(policy.generate(repeated, SamplingConfig.sample(32), 1000L + u));
          if (greedyInGroup) {
            List<Sample> greedy = policy.generate(encoded, SamplingConfig.greedy(32), 0);
            for (int g = 0; g < part.size(); g++) {
              samples.set(g * k + k - 1, greedy.get(g));
            }
          }
          List<Example> chosen = new ArrayList<>();
          List<Double> weights = new ArrayList<>();
          List<PreferencePair> pairs = new ArrayList<>();
          int successes = 0;
          for (int g = 0; g < part.size(); g++) {
            int best = -1;
            int worst = -1;
            for (int i = g * k; i < (g + 1) * k; i++) {
              boolean ok = GoldenJudge.judge(part.get(g), tok.decode(samples.get(i).responseIds())).success();
              successes += ok ? 1 : 0;
              int current = ok ? best : worst;
              if (current < 0 || samples.get(i).logProb() > samples.get(current).logProb()) {
                if (ok) {
                  best = i;
                } else {
                  worst = i;
                }
              }
            }
            if (best < 0) {
              continue;
            }
            chosen.add(new Example(encoded.get(g), response(samples.get(best), tok)));
            weights.add(1.0);
            if (worst >= 0) {
              pairs.add(new PreferencePair(encoded.get(g), response(samples.get(best), tok),
                  response(samples.get(worst), tok), samples.get(best).logProb(), samples.get(worst).logProb()));
            }
          }
          if (!dpo) {
            Collections.shuffle(demos, random);
            for (int i = 0; demoWeight > 0 && i < promptsPerUpdate / 2; i++) {
              chosen.add(demos.get(i));
              weights.add(demoWeight);
            }
            trainer.sftStep(chosen, weights.stream().mapToDouble(Double::doubleValue).toArray());
          } else if (!pairs.isEmpty()) {
            trainer.preferenceStep(pairs, PreferenceConfig.dpo(0.1));
          }
          if (u % 10 == 0) {
            System.out.printf("update %d: sampled success of the groups %.3f, %d pairs%n", u,
                successes / (double) samples.size(), pairs.size());
          }
          if (u % evalEvery == 0) {
            AlignmentExperiment.report("oracle@" + u, policy, tok, task.evalPrompts());
          }
        }
      }
    }
  }

  private static long[] response(Sample s, Tokenizer tok) {
    return s.responseIds().length > 0 ? s.responseIds() : new long[] {tok.eosId()};
  }
}
