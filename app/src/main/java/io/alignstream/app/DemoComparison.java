package io.alignstream.app;

import io.alignstream.console.ProgressBar;
import io.alignstream.learner.Learner;
import io.alignstream.learner.Recipe;
import io.alignstream.learner.SftTuning;
import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.TaskPrompt;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's judged rows beside the run: the honest SFT-only baseline, the oracle-ranked upper bound,
 * and the comparison between them and the aligned policy (paired intervals, headroom captured). The
 * golden judge is seen here and in {@link Evaluation} only.
 */
final class DemoComparison {
  private final BuiltinTask task;
  private final List<TaskPrompt> eval;
  private final int maxNewTokens;
  private final long seed;
  private final PrintStream log;

  DemoComparison(BuiltinTask task, List<TaskPrompt> eval, int maxNewTokens, long seed, PrintStream log) {
    this.task = task;
    this.eval = eval;
    this.maxNewTokens = maxNewTokens;
    this.seed = seed;
    this.log = log;
  }

  /** Greedy and sampled golden success of {@code p}, printed as it is measured. */
  DemoCommand.Result judge(String name, Policy p, Tokenizer tok, String how) {
    var g = Evaluation.greedy(p, tok, eval, maxNewTokens);
    var s = Evaluation.sampled(p, tok, eval, maxNewTokens, DemoCommand.EVAL_SAMPLES, seed);
    log.printf(Locale.ROOT, "%s: golden success %.1f%% greedy, %.1f%% sampled%n", name, 100 * g.success(),
        100 * s.success());
    return new DemoCommand.Result(name, g, s, how);
  }

  /**
   * The SFT-only baseline: the same demonstrations, as many optimiser steps as the aligned policy had
   * at most (SFT budget + loop updates), learning rate and step count chosen by held-out NLL exactly as
   * the learner's SFT stage chooses them ({@link SftTuning}); never by the judge.
   */
  DemoCommand.Result sftOnly(Path base, Tokenizer tok, Recipe recipe, Path out) throws IOException {
    // The distinct demonstrations, as ingest passes them to the learner.
    List<Example> demos = new ArrayList<>();
    task.demonstrations().stream().map(d -> List.of(d.prompt(), d.response())).distinct()
        .forEach(d -> demos.add(new Example(tok.encode(d.get(0)), tok.responseIds(d.get(1)))));
    int budget = recipe.sftSteps() + recipe.maxUpdates();
    try (Policy p = Policy.load(base);
        ProgressBar bar = ProgressBar.start("sft-only", (long) (Learner.GRID_STEPS + 1) * budget, "steps")) {
      SftTuning.Choice choice = SftTuning.choose(p, demos, budget, recipe.sftBatch(), recipe.sftLr(), seed, bar::setDone);
      long tried = (long) Learner.GRID_STEPS * budget;
      SftTuning.train(p, demos, choice.steps(), recipe.sftBatch(), choice.lr(), seed, s -> bar.setDone(tried + s));
      p.save(out);
      tok.save(out);
      return judge("SFT only", p, tok, String.format(Locale.ROOT,
          "SFT on the same %d demonstrations, at most %d steps of batch %d (the SFT budget plus the loop's updates), "
              + "%s", demos.size(), budget, recipe.sftBatch(), choice.describe()));
    }
  }

  /** The loop's update with the golden judge ranking the samples, from a copy of π_SFT ({@link OracleLoop}). */
  DemoCommand.Result oracle(Policy sft, Tokenizer tok, Recipe recipe, List<String> prompts, int updates) {
    try (Policy p = sft.copy(); ProgressBar bar = ProgressBar.start("oracle", updates, "updates")) {
      OracleLoop.run(p, tok, prompts, recipe, updates, maxNewTokens, seed, bar::setDone);
      return judge("oracle (judge ranks the loop)", p, tok, "upper bound: π_SFT then " + updates
          + " updates of the same Best-of-" + recipe.samplesPerPrompt() + " distillation, the golden judge "
          + "choosing the sample (in process)");
    }
  }

  /**
   * The aligned, kept and oracle policies against SFT only, on the same prompts (paired).
   *
   * @param rows name → (greedy difference, its 95% half-width, sampled difference, half-width), in points
   * @param headroomGreedy (aligned − SFT only) / (oracle − SFT only), greedy; NaN when the oracle is no better
   * @param headroomSampled the same, sampled
   */
  record Comparison(Map<String, double[]> rows, double headroomGreedy, double headroomSampled) {
    static Comparison of(List<DemoCommand.Result> results) {
      DemoCommand.Result sftOnly = find(results, "SFT only");
      Map<String, double[]> rows = new LinkedHashMap<>();
      for (DemoCommand.Result r : results) {
        if (r == sftOnly || r.name().startsWith("base")) {
          continue;
        }
        rows.put(r.name(), new double[] {
            100 * (r.greedy().success() - sftOnly.greedy().success()),
            100 * Evaluation.halfWidth(r.greedy().perPrompt(), sftOnly.greedy().perPrompt()),
            100 * (r.sampled().success() - sftOnly.sampled().success()),
            100 * Evaluation.halfWidth(r.sampled().perPrompt(), sftOnly.sampled().perPrompt())});
      }
      DemoCommand.Result aligned = find(results, "aligned");
      DemoCommand.Result oracle = find(results, "oracle");
      return new Comparison(rows,
          headroom(aligned.greedy().success(), oracle.greedy().success(), sftOnly.greedy().success()),
          headroom(aligned.sampled().success(), oracle.sampled().success(), sftOnly.sampled().success()));
    }

    private static DemoCommand.Result find(List<DemoCommand.Result> results, String prefix) {
      return results.stream().filter(r -> r.name().startsWith(prefix)).findFirst()
          .orElseThrow(() -> new IllegalStateException("no '" + prefix + "' row"));
    }

    private static double headroom(double method, double oracle, double baseline) {
      return oracle - baseline > 1e-9 ? (method - baseline) / (oracle - baseline) : Double.NaN;
    }

    List<String> lines() {
      List<String> out = new ArrayList<>();
      out.add("against SFT only (same prompts, paired; points ± 95% interval):");
      rows.forEach((name, d) -> out.add(String.format(Locale.ROOT, "  %-34s greedy %+5.1f ± %3.1f   sampled %+5.1f ± %3.1f",
          name, d[0], d[1], d[2], d[3])));
      out.add(String.format(Locale.ROOT, "headroom captured, (aligned − SFT only) / (oracle − SFT only): "
          + "greedy %s, sampled %s", pct(headroomGreedy), pct(headroomSampled)));
      return out;
    }

    Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      rows.forEach((name, d) -> m.put(name, Map.of("greedy_points", d[0], "greedy_ci95", d[1], "sampled_points", d[2],
          "sampled_ci95", d[3])));
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("vs_sft_only", m);
      out.put("headroom_captured_greedy", Double.isNaN(headroomGreedy) ? "n/a (oracle not above SFT only)" : headroomGreedy);
      out.put("headroom_captured_sampled", Double.isNaN(headroomSampled) ? "n/a (oracle not above SFT only)" : headroomSampled);
      return out;
    }

    private static String pct(double x) {
      return Double.isNaN(x) ? "n/a (oracle not above SFT only)" : String.format(Locale.ROOT, "%.0f%%", 100 * x);
    }
  }
}
