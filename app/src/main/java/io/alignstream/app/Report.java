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

  /** The first judgement of the streaming policy at or above the goal, if any. */
  static Optional<DemoCommand.CurvePoint> firstAtGoal(List<DemoCommand.CurvePoint> curve) {
    return curve.stream().filter(p -> p.success() >= DemoCommand.GOAL - 1e-9).findFirst();
  }

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

  /** Time and samples to the goal, as one line for the terminal and the report. */
  static String goalLine(List<DemoCommand.CurvePoint> curve, int demonstrations) {
    String goal = String.format(Locale.ROOT, "%.0f%%", 100 * DemoCommand.GOAL);
    return firstAtGoal(curve).map(p -> String.format(Locale.ROOT,
        "%s golden success first reached at policy version %d, %.0f s after the start (pretraining included), "
            + "after SFT on %d demonstrations and %,d samples trained by the loop; %s at the end.",
        goal, p.version(), p.seconds(), demonstrations, p.samplesTrained(),
        String.format(Locale.ROOT, "%.1f%%", 100 * curve.get(curve.size() - 1).success())))
        .orElse(String.format(Locale.ROOT, "%s golden success not reached by the streaming policy (best %.1f%%).", goal,
            100 * curve.stream().mapToDouble(DemoCommand.CurvePoint::success).max().orElse(Double.NaN)));
  }

  static Path write(Path runDir, String runId, BuiltinTask task, Recipe recipe, List<DemoCommand.Result> results,
      List<DemoCommand.CurvePoint> curve, Map<String, Double> stageSeconds, Map<String, Long> deadLetters)
      throws IOException {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("run", runId);
    summary.put("created", Instant.now().toString());
    summary.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
        "os", System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        "java", System.getProperty("java.version")));
    summary.put("task", Map.of("seed", task.config().seed(), "corpus", task.corpus().size(),
        "desired_fraction", task.config().desiredFraction(), "demonstrations", task.demonstrations().size(),
        "eval_prompts", task.evalPrompts().size()));
    summary.put("recipe", recipe.toMap());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (DemoCommand.Result r : results) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", r.name());
      row.put("golden_success_greedy", r.greedy());
      if (!Double.isNaN(r.sampled())) {
        row.put("golden_success_sampled", r.sampled());
      }
      row.put("golden_success_greedy_by_kind", r.greedyByKind());
      row.put("how", r.how());
      rows.add(row);
    }
    summary.put("results", rows);
    summary.put("curve", curve.stream().map(p -> Map.of("version", p.version(), "golden_success", p.success(),
        "seconds", p.seconds(), "samples_trained", p.samplesTrained())).toList());
    Map<String, Object> goal = new LinkedHashMap<>();
    goal.put("golden_success", DemoCommand.GOAL);
    firstAtGoal(curve).ifPresentOrElse(p -> goal.put("first_reached", Map.of("version", p.version(),
        "seconds", p.seconds(), "samples_trained", p.samplesTrained(), "demonstrations", task.demonstrations().size())),
        () -> goal.put("first_reached", "not reached"));
    summary.put("goal", goal);
    summary.put("seconds", stageSeconds);
    summary.put("dead_letters", deadLetters);
    JSON.writerWithDefaultPrettyPrinter().writeValue(runDir.resolve("report.json").toFile(), summary);

    List<ChartPng.Bar> bars = new ArrayList<>();
    results.forEach(r -> bars.add(new ChartPng.Bar(r.name(), r.greedy())));
    ChartPng.bars(runDir.resolve("success.png"), "Golden success on " + task.evalPrompts().size()
        + " held-out prompts (greedy)", "success", bars, 1.0);
    double[] x = curve.stream().mapToDouble(DemoCommand.CurvePoint::version).toArray();
    double[] y = curve.stream().mapToDouble(DemoCommand.CurvePoint::success).toArray();
    ChartPng.lines(runDir.resolve("curve.png"), "Golden success of the streaming policy", "policy version",
        "success", List.of(new ChartPng.Series("aligned policy", x, y)), 0, 1);

    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>alignstream run ").append(esc(runId))
        .append("</title><style>body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}"
            + "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px 8px;"
            + "text-align:left;vertical-align:top}th{background:#f5f5f5}td.n{text-align:right;white-space:nowrap}"
            + "img{max-width:100%;margin:1em 0}code{background:#f3f3f3;padding:1px 4px}</style></head><body>");
    html.append("<h1>alignstream run <code>").append(esc(runId)).append("</code></h1>");
    html.append("<p>Built-in task (seed ").append(task.config().seed()).append("): ").append(task.corpus().size())
        .append(" pre-training pairs (").append(Math.round(100 * task.config().desiredFraction()))
        .append("% desired), ").append(task.demonstrations().size()).append(" demonstrations, ")
        .append(task.evalPrompts().size()).append(" held-out evaluation prompts judged by the golden judge "
            + "(which no training or reward code can see).</p>");
    html.append("<h2>Results</h2><table><tr><th>policy</th><th>greedy</th><th>sampled</th><th>how it was obtained</th></tr>");
    for (DemoCommand.Result r : results) {
      html.append("<tr><td>").append(esc(r.name())).append("</td><td class=n>").append(pct(r.greedy()))
          .append("</td><td class=n>").append(Double.isNaN(r.sampled()) ? "—" : pct(r.sampled()))
          .append("</td><td>").append(esc(r.how())).append("</td></tr>");
    }
    html.append("</table><img src=\"success.png\" alt=\"golden success by policy\">");
    html.append("<h2>By kind of request (greedy)</h2><table><tr><th>policy</th>");
    List<String> kinds = results.isEmpty() ? List.of() : List.copyOf(results.get(0).greedyByKind().keySet());
    kinds.forEach(k -> html.append("<th>").append(esc(k.replace('_', ' '))).append("</th>"));
    html.append("</tr>");
    for (DemoCommand.Result r : results) {
      html.append("<tr><td>").append(esc(r.name())).append("</td>");
      kinds.forEach(k -> html.append("<td class=n>").append(pct(r.greedyByKind().getOrDefault(k, Double.NaN)))
          .append("</td>"));
      html.append("</tr>");
    }
    html.append("</table>");
    html.append("<h2>During the run</h2><img src=\"curve.png\" alt=\"golden success over versions\">");
    html.append("<p>").append(esc(goalLine(curve, task.demonstrations().size()))).append("</p>");
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

  private static String pct(double v) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
