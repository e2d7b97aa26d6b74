package io.alignstream.app;

import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardModel;
import io.alignstream.model.RewardTrainer;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.GoldenJudge;
import io.alignstream.task.TaskConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

/**
 * Not a test: how well can a discriminator reward model rank a policy's own samples? Trains one offline
 * on demonstrations vs π_SFT samples and reports, on held-out prompts, the AUC of its score between
 * golden successes and failures and the Best-of-8 success, against the analytic Init-SFT reward
 * log π_SFT − log π_0. {@code -Dwork=DIR} must hold a base-STEPS model made by AlignmentExperiment.
 */
public final class RewardProbe {
  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    Path base = Path.of(System.getProperty("work", "/tmp/x1")).resolve(args.length > 0 ? args[0] : "base-2500");
    double lr = args.length > 1 ? Double.parseDouble(args[1]) : 1e-3;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 600;
    int k = 8;
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults());
    try (Tokenizer tok = Tokenizer.load(base); Policy pi0 = Policy.load(base); Policy sft = Policy.load(base)) {
      List<Example> demos = new ArrayList<>();
      task.demonstrations().forEach(e -> demos.add(new Example(tok.encode(e.prompt()), tok.responseIds(e.response()))));
      AlignmentExperiment.train(sft, demos, 150, 16, 1e-3, 2);
      List<String> trainPrompts = new ArrayList<>(new LinkedHashSet<>(task.demonstrations().stream()
          .map(io.alignstream.task.LabelledPair::prompt).toList()));
      List<String> evalPrompts = task.evalPrompts().stream().map(p -> p.text()).toList();
      List<Example> negatives = new ArrayList<>();
      sample(sft, tok, trainPrompts, k, 1, negatives, new ArrayList<>());
      List<Example> probe = new ArrayList<>();
      List<Boolean> ok = new ArrayList<>();
      sample(sft, tok, evalPrompts, k, 2, probe, ok);
      System.out.printf("negatives %d, probe %d (success %.3f)%n", negatives.size(), probe.size(),
          ok.stream().filter(b -> b).count() / (double) ok.size());
      double[] analytic = new double[probe.size()];
      double[] lpSft = sft.sequenceLogProbs(probe);
      double[] lp0 = pi0.sequenceLogProbs(probe);
      for (int i = 0; i < analytic.length; i++) {
        analytic[i] = lpSft[i] - lp0[i];
      }
      report("analytic log pi_SFT - log pi_0", analytic, ok, k);
      report("log pi_SFT", lpSft, ok, k);
      try (RewardModel rm = RewardModel.fromPolicy(sft, 7, 0.02);
          RewardTrainer trainer = new RewardTrainer(rm, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(lr)))) {
        Random random = new Random(5);
        for (int s = 1; s <= steps; s++) {
          List<Example> pos = new ArrayList<>();
          List<Example> neg = new ArrayList<>();
          for (int i = 0; i < 32; i++) {
            pos.add(demos.get(random.nextInt(demos.size())));
            neg.add(negatives.get(random.nextInt(negatives.size())));
          }
          var st = trainer.discriminatorStep(pos, neg);
          if (s % 100 == 0) {
            System.out.printf("step %d loss %.3f%n", s, st.loss());
            report("discriminator lr " + lr + " step " + s, rm.score(probe), ok, k);
          }
        }
      }
    }
  }

  private static void sample(Policy p, Tokenizer tok, List<String> prompts, int k, long seed, List<Example> out,
      List<Boolean> ok) {
    for (int from = 0; from < prompts.size(); from += 8) {
      List<String> part = prompts.subList(from, Math.min(prompts.size(), from + 8));
      List<long[]> ids = new ArrayList<>();
      part.forEach(t -> {
        for (int j = 0; j < k; j++) {
          ids.add(tok.encode(t));
        }
      });
      List<Sample> samples = p.generate(ids, SamplingConfig.sample(32), seed * 100_000 + from);
      for (int i = 0; i < samples.size(); i++) {
        long[] r = samples.get(i).responseIds();
        out.add(new Example(ids.get(i), r.length > 0 ? r : new long[] {tok.eosId()}));
        ok.add(GoldenJudge.judge(part.get(i / k), tok.decode(samples.get(i).textIds())).success());
      }
    }
  }

  /** AUC of score between successes and failures, and Best-of-k success against the mean success. */
  private static void report(String name, double[] score, List<Boolean> ok, int k) {
    long pairs = 0;
    double wins = 0;
    for (int i = 0; i < score.length; i++) {
      for (int j = 0; j < score.length; j++) {
        if (ok.get(i) && !ok.get(j)) {
          pairs++;
          wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
        }
      }
    }
    int best = 0;
    int groups = score.length / k;
    long withinPairs = 0;
    double withinWins = 0;
    for (int g = 0; g < groups; g++) {
      int arg = g * k;
      for (int i = g * k; i < (g + 1) * k; i++) {
        if (score[i] > score[arg]) {
          arg = i;
        }
        for (int j = g * k; j < (g + 1) * k; j++) {
          if (ok.get(i) && !ok.get(j)) {
            withinPairs++;
            withinWins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
          }
        }
      }
      best += ok.get(arg) ? 1 : 0;
    }
    System.out.printf("%-40s AUC %.3f  within-prompt AUC %.3f  best-of-%d %.3f%n", name, wins / Math.max(1, pairs),
        withinWins / Math.max(1, withinPairs), k, best / (double) groups);
  }
}
