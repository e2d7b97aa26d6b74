package io.alignstream.app;

import io.alignstream.learner.Learner;
import io.alignstream.learner.Recipe;
import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.TaskConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Not a test: a runnable experiment on the built-in task, in process, to tune recipes.
 * {@code java -cp <test classpath> io.alignstream.app.AlignmentExperiment [key=value ...]}
 */
public final class AlignmentExperiment {
  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    List<String> sets = new ArrayList<>(Arrays.asList(args));
    int pretrainSteps = intArg(sets, "pretrain", 1500);
    int updates = intArg(sets, "updates", 60);
    int evalEvery = intArg(sets, "eval_every", 20);
    boolean extraPrompts = intArg(sets, "extra_prompts", 0) == 1;
    double sftOnlyLr = doubleArg(sets, "sft_only_lr", 1e-3);
    int demoCount = intArg(sets, "demos", Integer.MAX_VALUE);
    double temperature = doubleArg(sets, "temperature", 1.0);
    Path work = Path.of(System.getProperty("work", "/tmp/align-exp"));
    Files.createDirectories(work);
    int corpusSize = intArg(sets, "corpus", TaskConfig.defaults().corpusSize());
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(corpusSize));
    var builder = new WordLevelTokenizerBuilder(4000);
    task.corpus().forEach(e -> builder.add(e.prompt()).add(e.response()));
    task.demonstrations().forEach(e -> builder.add(e.prompt()).add(e.response()));
    task.evalPrompts().forEach(p -> builder.add(p.text()));
    Path baseDir = work.resolve("base-" + corpusSize + "-" + pretrainSteps);
    long t0 = System.nanoTime();
    try (Tokenizer tok = Tokenizer.load(builder.write(work.resolve("tokenizer.json")))) {
      System.out.printf("vocab %d, corpus %d, demos %d (of %d), eval %d%n", tok.vocabSize(), task.corpus().size(),
          Math.min(demoCount, task.demonstrations().size()), task.demonstrations().size(), task.evalPrompts().size());
      if (!Files.exists(baseDir.resolve("model.safetensors"))) {
        // -Dexp.layers / -Dexp.width try other shapes than the tiny preset (use another -Dwork).
        Gpt2Config shape = new Gpt2Config(tok.vocabSize(), 128, Integer.getInteger("exp.width", 128),
            Integer.getInteger("exp.layers", 2), 4, 1e-5, tok.eosId(), tok.eosId());
        try (Policy p = Policy.create(shape, 1)) {
          List<Example> corpus = new ArrayList<>();
          task.corpus().forEach(e -> corpus.add(new Example(tok.encode(e.prompt()), tok.responseIds(e.response()))));
          train(p, corpus, pretrainSteps, 32, 2e-3, 1);
          p.save(baseDir);
          tok.save(baseDir);
        }
        System.out.printf("pretrained in %.0f s%n", (System.nanoTime() - t0) / 1e9);
      }
      tok.save(baseDir); // the tokenizer as built now (the weights do not depend on its decoder)
      List<Example> demos = new ArrayList<>();
      List<InProcessLoop.Demo> demoTexts = new ArrayList<>();
      // demos=N: a seeded sample of N of the task's demonstrations (the tokenizer above saw them all,
      // so the cached base model's vocabulary does not change).
      List<io.alignstream.task.LabelledPair> chosenDemos = new ArrayList<>(task.demonstrations());
      Collections.shuffle(chosenDemos, new Random(17));
      chosenDemos = chosenDemos.subList(0, Math.min(demoCount, chosenDemos.size()));
      chosenDemos.forEach(e -> {
        demos.add(new Example(tok.encode(e.prompt()), tok.responseIds(e.response())));
        demoTexts.add(new InProcessLoop.Demo(e.prompt(), e.response()));
      });
      var eval = task.evalPrompts();
      try (Policy base = Policy.load(baseDir)) {
        report("base", base, tok, eval);
      }
      Recipe recipe = Recipe.load(null, sets);
      try (Policy sftOnly = Policy.load(baseDir)) {
        int steps = recipe.sftSteps() + updates; // the same number of optimiser steps as the aligned run
        long t = System.nanoTime();
        train(sftOnly, demos, steps, recipe.sftBatch(), sftOnlyLr, 2);
        System.out.printf("sft-only %d steps lr %.0e in %.0f s%n", steps, sftOnlyLr, (System.nanoTime() - t) / 1e9);
        report("sft-only", sftOnly, tok, eval);
      }
      try (Learner learner = Learner.fresh(Policy.load(baseDir), Tokenizer.load(baseDir), recipe)) {
        long t = System.nanoTime();
        learner.sft(demos, s -> { });
        System.out.printf("afd sft stage %.0f s%n", (System.nanoTime() - t) / 1e9);
        report("afd@sft", learner.policy(), tok, eval);
        var loop = new InProcessLoop(learner, recipe.samplesPerPrompt(), new SamplingConfig(temperature, 1.0, 0, 32, true),
            recipe.seed());
        Random random = new Random(3);
        List<InProcessLoop.Demo> order = new ArrayList<>(demoTexts);
        if (extraPrompts) {
          // Practice prompts: every training prompt without a demonstration, as a user would stream them.
          var demoPrompts = new java.util.HashSet<String>();
          demoTexts.forEach(d -> demoPrompts.add(d.prompt()));
          task.trainPrompts().stream().map(p -> p.text()).filter(demoPrompts::add)
              .forEach(p -> order.add(new InProcessLoop.Demo(p, null)));
          System.out.printf("loop prompts: %d (%d with demonstrations)%n", order.size(), demoTexts.size());
        }
        int cursor = order.size();
        t = System.nanoTime();
        for (int u = 1; u <= updates; u++) {
          List<InProcessLoop.Demo> part = new ArrayList<>();
          while (part.size() < recipe.promptsPerUpdate()) {
            if (cursor == order.size()) {
              Collections.shuffle(order, random);
              cursor = 0;
            }
            part.add(order.get(cursor++));
          }
          var r = loop.step(part);
          if (u % 5 == 0) {
            System.out.printf("update %d (%.0f s): %s%n", u, (System.nanoTime() - t) / 1e9, brief(r.metrics()));
          }
          if (u % evalEvery == 0) {
            report("afd@" + u, learner.policy(), tok, eval);
          }
        }
        try (Policy sft = Policy.load(baseDir)) {
          train(sft, demos, recipe.sftSteps(), recipe.sftBatch(), recipe.sftLr(), 2);
          for (int n : new int[] {4, 16}) {
            var bon = Evaluation.bestOfN(sft, tok, learner.reward(), recipe.ranking(), eval, n, 32, 11);
            System.out.printf("best-of-%d over final RM from SFT: %.3f%n", n, bon.success());
          }
        }
      }
    }
    System.out.printf("total %.0f s%n", (System.nanoTime() - t0) / 1e9);
  }

  static String brief(java.util.Map<String, Double> m) {
    StringBuilder sb = new StringBuilder();
    for (String k : List.of("reward.loss", "reward.accuracy", "policy.loss", "reward.generations_mean",
        "reward.demonstrations_mean", "kl.base", "kl.behaviour")) {
      if (m.containsKey(k)) {
        sb.append(String.format(" %s=%.3f", k, m.get(k)));
      }
    }
    return sb.toString();
  }

  static void report(String name, Policy p, Tokenizer tok, List<io.alignstream.task.TaskPrompt> eval) {
    var g = Evaluation.greedy(p, tok, eval, 32);
    var s = Evaluation.sampled(p, tok, eval, 32, 4, 5);
    System.out.printf("%-12s greedy %.3f  sampled %.3f   e.g. %s -> %s%n", name, g.success(), s.success(),
        eval.get(0).text(), g.responses().get(0));
    StringBuilder kinds = new StringBuilder("    greedy by kind:");
    g.byKind().forEach((k, v) -> kinds.append(String.format(" %s %.2f", k, v)));
    System.out.println(kinds);
  }

  static void train(Policy p, List<Example> data, int steps, int batch, double lr, long seed) {
    try (PolicyTrainer t = new PolicyTrainer(p, new AdamW(AdamWConfig.defaults(),
        LrSchedule.cosine(lr, Math.min(50, steps / 10), steps)))) {
      List<Example> order = new ArrayList<>(data);
      Random random = new Random(seed);
      int cursor = order.size();
      for (int s = 1; s <= steps; s++) {
        List<Example> b = new ArrayList<>();
        while (b.size() < batch) {
          if (cursor == order.size()) {
            Collections.shuffle(order, random);
            cursor = 0;
          }
          b.add(order.get(cursor++));
        }
        var st = t.sftStep(b);
        if (s % 250 == 0) {
          System.out.printf("  step %d loss %.3f%n", s, st.loss());
        }
      }
    }
  }

  private static int intArg(List<String> sets, String key, int def) {
    return (int) doubleArg(sets, key, def);
  }

  static double doubleArg(List<String> sets, String key, double def) {
    for (var it = sets.iterator(); it.hasNext(); ) {
      String s = it.next();
      if (s.startsWith(key + "=")) {
        it.remove();
        return Double.parseDouble(s.substring(key.length() + 1));
      }
    }
    return def;
  }
}
