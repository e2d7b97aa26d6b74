package io.alignstream.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.learner.Recipe;
import io.alignstream.task.BuiltinTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A run's report: {@code report.json} for tools, {@code report.html} with PNG charts for people. */
final class Report {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Report() {}

  /** What the run set aside (dead letters by reason), as one line for the terminal and the report. */
  static String deadLetterLine(String runId, Map<String, Long> byReason) {
    if (byReason.isEmpty()) {
      return "dead letters: none (every demonstration, prompt and sample was used)";
    }
    StringBuilder s = new StringBuilder("dead letters: ")
        .append(byReason.values().stream().mapToLong(Long::longValue).sum()).append(" (");
    byReason.forEach((reason, n) -> s.append(reason).append(' ').append(n).append(", "));
    s.setLength(s.length() - 2);
    return s.append("), kept with their reasons: alignstream export --run ").append(runId)
        .append(" --topic demos.dead-letter --out FILE").toString();
  }

  static Path write(Path runDir, String runId, BuiltinTask task, Recipe recipe, List<DemoCommand.Result> results,
      DemoComparison.Comparison comparison, KeptPolicy kept, List<DemoCommand.CurvePoint> curve,
      Map<String, Double> stageSeconds, Map<String, Long> deadLetters) throws IOException {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("run", runId);
    summary.put("created", Instant.now().toString());
    summary.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
        "os", System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        "java", System.getProperty("java.version")));
    summary.put("task", Map.of("seed", task.config().seed(), "corpus", task.corpus().size(),
        "desired_fraction", task.config().desiredFraction(), "demonstrations", task.demonstrations().size(),
        "demonstrated_share", task.config().demonstratedShare(), "practice_prompts", task.practicePrompts().size(),
        "eval_prompts", task.evalPrompts().size(), "eval_samples_per_prompt", DemoCommand.EVAL_SAMPLES));
    summary.put("recipe", recipe.toMap());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (DemoCommand.Result r : results) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", r.name());
      row.put("golden_success_greedy", r.greedy().success());
      row.put("golden_success_greedy_ci95", r.greedy().halfWidth());
      row.put("golden_success_sampled", r.sampled().success());
      row.put("golden_success_sampled_ci95", r.sampled().halfWidth());
      row.put("golden_success_greedy_by_kind", r.greedy().byKind());
      row.put("how", r.how());
      rows.add(row);
    }
    summary.put("results", rows);
    summary.put("comparison", comparison.toJson());
    summary.put("kept", kept.toJson());
    summary.put("curve", curve.stream().map(p -> Map.of("version", p.version(), "golden_success", p.success(),
        "seconds", p.seconds(), "samples_trained", p.samplesTrained(),
        "reward_pair_accuracy", Double.isNaN(p.rewardAccuracy()) ? "not measured yet" : p.rewardAccuracy())).toList());
    summary.put("seconds", stageSeconds);
    summary.put("dead_letters", deadLetters);
    JSON.writerWithDefaultPrettyPrinter().writeValue(runDir.resolve("report.json").toFile(), summary);

    List<ChartPng.Bar> bars = new ArrayList<>();
    results.forEach(r -> bars.add(new ChartPng.Bar(r.name() + " (greedy)", r.greedy().success())));
    results.forEach(r -> bars.add(new ChartPng.Bar(r.name() + " (sampled)", r.sampled().success())));
    ChartPng.bars(runDir.resolve("success.png"), "Golden success on " + task.evalPrompts().size()
        + " held-out prompts about undemonstrated items", "success", bars, 1.0);
    double[] x = curve.stream().mapToDouble(DemoCommand.CurvePoint::version).toArray();
    double[] y = curve.stream().mapToDouble(DemoCommand.CurvePoint::success).toArray();
    List<DemoCommand.CurvePoint> measured = curve.stream().filter(p -> !Double.isNaN(p.rewardAccuracy())).toList();
    ChartPng.lines(runDir.resolve("curve.png"), "The streaming policy (greedy golden success) and its reward model",
        "policy version", "share", List.of(new ChartPng.Series("aligned policy: golden success", x, y),
            new ChartPng.Series("reward model: held-out pair accuracy (0.5 is chance)",
                measured.stream().mapToDouble(DemoCommand.CurvePoint::version).toArray(),
                measured.stream().mapToDouble(DemoCommand.CurvePoint::rewardAccuracy).toArray())), 0, 1);

    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>alignstream run ").append(esc(runId))
        .append("</title><style>body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}"
            + "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px 8px;"
            + "text-align:left;vertical-align:top}th{background:#f5f5f5}td.n{text-align:right;white-space:nowrap}"
            + "img{max-width:100%;margin:1em 0}code{background:#f3f3f3;padding:1px 4px}</style></head><body>");
    html.append("<h1>alignstream run <code>").append(esc(runId)).append("</code></h1>");
    html.append("<p>Built-in task (seed ").append(task.config().seed()).append("): ").append(task.corpus().size())
        .append(" pre-training pairs (").append(Math.round(100 * task.config().desiredFraction()))
        .append("% desired), ").append(task.demonstrations().size()).append(" demonstrations over ")
        .append(Math.round(100 * task.config().demonstratedShare())).append("% of each kind's items, ")
        .append(task.practicePrompts().size()).append(" practice prompts and ").append(task.evalPrompts().size())
        .append(" held-out evaluation prompts about the undemonstrated items, judged by the golden judge (which no "
            + "training or reward code can see): greedy, and ").append(DemoCommand.EVAL_SAMPLES)
        .append(" sampled answers per prompt at temperature 1; ± is the 95% interval over prompts.</p>");
    html.append("<h2>Results</h2><table><tr><th>policy</th><th>greedy</th><th>sampled</th><th>how it was obtained</th></tr>");
    for (DemoCommand.Result r : results) {
      html.append("<tr><td>").append(esc(r.name())).append("</td><td class=n>").append(pct(r.greedy()))
          .append("</td><td class=n>").append(pct(r.sampled())).append("</td><td>").append(esc(r.how()))
          .append("</td></tr>");
    }
    html.append("</table><h2>Against SFT only</h2><pre>").append(esc(String.join("\n", comparison.lines())))
        .append("</pre><p>Kept: ").append(esc(kept.kept())).append(" — ").append(esc(kept.why())).append("</p>");
    html.append("<img src=\"success.png\" alt=\"golden success by policy\">");
    html.append("<h2>By kind of request (greedy)</h2><table><tr><th>policy</th>");
    List<String> kinds = results.isEmpty() ? List.of() : List.copyOf(results.get(0).greedy().byKind().keySet());
    kinds.forEach(k -> html.append("<th>").append(esc(k.replace('_', ' '))).append("</th>"));
    html.append("</tr>");
    for (DemoCommand.Result r : results) {
      html.append("<tr><td>").append(esc(r.name())).append("</td>");
      kinds.forEach(k -> html.append("<td class=n>").append(pct(r.greedy().byKind().getOrDefault(k, Double.NaN)))
          .append("</td>"));
      html.append("</tr>");
    }
    html.append("</table>");
    html.append("<h2>During the run</h2><img src=\"curve.png\" alt=\"golden success and reward-model accuracy over "
        + "versions\"><p>The reward model's held-out accuracy is on pairs of demonstrations it never trained on: each "
        + "demonstration against π_0's samples, another prompt's demonstration and itself cut short.</p>");
    html.append("<p>").append(esc(deadLetterLine(runId, deadLetters))).append("</p>");
    html.append("<h2>Time</h2><table>");
    stageSeconds.forEach((k, v) -> html.append("<tr><td>").append(esc(k)).append("</td><td class=n>")
        .append(String.format(Locale.ROOT, "%.0f s", v)).append("</td></tr>"));
    html.append("</table><h2>Recipe</h2><table>");
    recipe.toMap().forEach((k, v) -> html.append("<tr><td><code>").append(esc(k)).append("</code></td><td>")
        .append(esc(v)).append("</td></tr>"));
    html.append("</table><p>Models: <code>models/aligned</code>, <code>models/sft-only</code>, "
        + "<code>models/reward</code>, π_SFT in <code>learner/v000001/policy</code>. Re-check any figure with "
        + "<code>alignstream generate --model DIR --prompts task/eval-prompts.jsonl --out FILE --temperature 0</code> "
        + "and the judge.</p></body></html>");
    Path file = runDir.resolve("report.html");
    Files.writeString(file, html);
    return file;
  }

  private static String pct(Evaluation.Result r) {
    return String.format(Locale.ROOT, "%.1f%% ± %.1f", 100 * r.success(), 100 * r.halfWidth());
  }

  private static String pct(double v) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
