package io.alignstream.app;

import io.alignstream.broker.ClusterOptions;
import io.alignstream.broker.RunSession;
import io.alignstream.console.ProgressBar;
import io.alignstream.console.Terminal;
import io.alignstream.learner.LearnerCheckpoint;
import io.alignstream.learner.LearnerService;
import io.alignstream.learner.Recipe;
import io.alignstream.learner.RecipeOptions;
import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.cli.PretrainCommand;
import io.alignstream.runtime.RunReporter;
import io.alignstream.schemas.Topics;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.TaskConfig;
import io.alignstream.task.TaskPrompt;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code alignstream demo}: the main job, end to end on the built-in task. It pretrains π_0 (cached),
 * streams the demonstrations in, runs every service over the embedded broker, aligns the policy while
 * measuring it with the golden judge, and writes a report comparing π_0, SFT alone, Best-of-N over
 * the AfD reward model and the continuously aligned policy.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "The main job, end to end on the built-in task (Helpful/Harmless-like requests, a mixed "
            + "pre-training corpus, desired-only demonstrations, a golden judge for evaluation only):",
        "  1. pretrains the tiny base policy π_0 on the corpus (cached for the next run);",
        "  2. streams the demonstrations into Kafka (embedded broker unless --bootstrap);",
        "  3. runs the samplers, the rewarder, the batching topology and the learner (SFT, then the "
            + "continuous AfD loop), measuring golden success on held-out prompts as it goes;",
        "  4. writes runs/<run>/report.html (charts) and report.json comparing π_0, SFT alone (same "
            + "demonstrations, same number of optimiser steps, learning rate tuned), Best-of-N over the "
            + "AfD reward model, and the aligned policy; the models are saved beside it."})
public final class DemoCommand implements Callable<Integer> {
  private static final int MAX_NEW_TOKENS = 32;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--run", paramLabel = "ID", description = "Run id. Default: demo-<date>-<time>.")
  private String run;

  /** --bootstrap, --kafka-config, --data-dir, --replication-factor: where the run's topics live. */
  @Mixin
  private ClusterOptions kafka = new ClusterOptions();

  @Option(names = "--runs-dir", paramLabel = "DIR", defaultValue = "runs",
      description = "Where run reports and models go. Default: ${DEFAULT-VALUE}.")
  private Path runsDir;

  @Option(names = "--cache-dir", paramLabel = "DIR", defaultValue = ".alignstream/cache",
      description = "Where the pretrained base policy is cached. Default: ${DEFAULT-VALUE}.")
  private Path cacheDir;

  @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42",
      description = "Seed of the task and of every model. Default: ${DEFAULT-VALUE}.")
  private long seed;

  @Option(names = "--pretrain-steps", paramLabel = "N", defaultValue = "3500",
      description = "Optimiser steps (batch 32) of pretraining π_0. Default: ${DEFAULT-VALUE}.")
  private int pretrainSteps;

  @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "gpt2",
      description = "Architecture of π_0, pretrained: gpt2 or llama (see 'alignstream pretrain'). Default: ${DEFAULT-VALUE}.")
  private String arch;

  @Option(names = "--updates", paramLabel = "N", defaultValue = "60",
      description = "Learner updates after SFT (loop.max_updates). Default: ${DEFAULT-VALUE}.")
  private int updates;

  @Option(names = "--eval-every", paramLabel = "N", defaultValue = "10",
      description = "Judge the policy on the held-out prompts every N versions. Default: ${DEFAULT-VALUE}.")
  private int evalEvery;

  @Mixin
  private RecipeOptions recipeOptions = new RecipeOptions();

  @Mixin
  private PipelineOptions pipeline = new PipelineOptions();

  /** Golden success of one policy on the held-out prompts. */
  record Result(String name, double greedy, double sampled, String how, Map<String, Double> greedyByKind) {}

  /** One judgement of the streaming policy: its version, golden success, seconds since the start, samples the loop trained. */
  record CurvePoint(long version, double success, double seconds, long samplesTrained) {}

  /** The golden success the demo aims at (the goal). */
  static final double GOAL = 0.90;

  @Override
  public Integer call() throws Exception {
    pipeline.threads().apply();
    PrintStream out = System.out;
    long t0 = System.nanoTime();
    String runId = run != null ? run
        : "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Topics.forRun(runId);
    // Bad input is refused before anything is written.
    Recipe recipe = recipeOptions.load(List.of("loop.max_updates=" + updates));
    Path runDir = Files.createDirectories(runsDir.resolve(runId));
    try (AutoCloseable logs = AlignmentRun.serviceLogs(runDir.resolve("services.log"), pipeline.verbose())) {
      return demo(runId, recipe, runDir, out, t0);
    }
  }

  private int demo(String runId, Recipe recipe, Path runDir, PrintStream out, long t0) throws Exception {
    Map<String, Double> stageSeconds = new LinkedHashMap<>();

    // 1. The task and π_0.
    out.println("== alignstream demo: run " + runId + " ==");
    String logs = AlignmentRun.logsLine(runDir.resolve("services.log"), pipeline.verbose());
    if (!logs.isEmpty()) {
      out.println(logs);
    }
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withSeed(seed));
    var export = task.write(runDir.resolve("task"));
    out.println("task: " + export.line());
    long t = System.nanoTime();
    Path base = pretrained(task, runDir, out);
    stageSeconds.put("pretrain", seconds(t));
    List<TaskPrompt> eval = task.evalPrompts();
    List<Result> results = new ArrayList<>();
    try (Policy p = Policy.load(base); Tokenizer tok = Tokenizer.load(base)) {
      results.add(judge("base (π_0)", p, tok, eval, "pretrained on the mixed corpus, "
          + pretrainSteps + " steps"));
      out.printf(Locale.ROOT, "π_0 golden success: %.1f%% (greedy)%n", 100 * results.get(0).greedy());
    }

    // 2-3. Everything streaming, over Kafka, judged as it goes.
    Path aligned = runDir.resolve("models/aligned");
    Path rewardDir = runDir.resolve("models/reward");
    GoldenCurve curve = new GoldenCurve(eval, t0);
    AlignmentRun.Outcome outcome;
    t = System.nanoTime();
    try (RunSession session = kafka.open(Topics.forRun(runId), Terminal.err())) {
      // SFT starts once every distinct demonstration is in (ingest keeps one copy of duplicates).
      int distinct = (int) task.demonstrations().stream().map(d -> d.prompt() + "\u0000" + d.response()).distinct().count();
      var settings = new AlignmentRun.Settings(session.topics(), runDir, base, recipe, distinct, pipeline.samplers(),
          MAX_NEW_TOKENS, seed, "demo", pipeline.dashboardPort(), null);
      List<AlignmentRun.Raw> demos = task.demonstrations().stream()
          .map(d -> new AlignmentRun.Raw(d.prompt(), d.response(), "builtin-task")).toList();
      try (RunReporter evaluator = new RunReporter(new KafkaProducer<>(session.connection().producerConfig(),
          new ByteArraySerializer(), new ByteArraySerializer()), session.topics(), "evaluator")) {
        curve.reportTo(evaluator);
        outcome = AlignmentRun.run(session.connection(), settings, demos, curve, out);
      }
      outcome.save(aligned, rewardDir);
    }
    stageSeconds.put("stream", seconds(t));

    // 4. The comparison, on the same held-out prompts.
    t = System.nanoTime();
    Path sftDir = LearnerCheckpoint.policyDir(outcome.sft());
    try (Tokenizer tok = Tokenizer.load(base)) {
      results.add(sftOnly(task, base, tok, recipe, runDir.resolve("models/sft-only"), eval, out));
      try (Policy sft = Policy.load(sftDir);
          var reward = RewardEnsemble.load(rewardDir, recipe.seed())) {
        results.add(judge("AfD SFT stage (π_SFT)", sft, tok, eval, "the learner's SFT stage: " + recipe.sftSteps()
            + " steps on the demonstrations"));
        for (int n : new int[] {4, 16}) {
          var bon = Evaluation.bestOfN(sft, tok, reward, recipe.ranking(), eval, n, MAX_NEW_TOKENS, seed);
          results.add(new Result("best-of-" + n + " (AfD RM)", bon.success(), Double.NaN,
              n + " samples of π_SFT, the one the final AfD reward ensemble ranks highest (mean − spread"
                  + (recipe.ranking() == Recipe.Ranking.EXPERT_LIKELIHOOD ? ", plus log π_SFT: the expert-likelihood "
                  + "ranking" : "") + ")", bon.byKind()));
        }
      }
      try (Policy p = Policy.load(aligned)) {
        results.add(judge("aligned (AfD loop)", p, tok, eval, "π_SFT then " + updates + " streaming updates: "
            + Recipe.name(recipe.policyObjective()) + " on the reward ensemble's " + Recipe.name(recipe.ranking())
            + " ranking, policy lr " + recipe.policyLr() + ", discriminator " + Recipe.name(recipe.rewardPositive())
            + " vs " + Recipe.name(recipe.rewardNegative())));
      }
    }
    stageSeconds.put("compare", seconds(t));
    stageSeconds.put("total", seconds(t0));
    Path report = Report.write(runDir, runId, task, recipe, results, curve.points(), stageSeconds, outcome.deadLetters());
    out.println();
    out.println("golden success on " + eval.size() + " held-out prompts (greedy):");
    for (Result r : results) {
      out.printf(Locale.ROOT, "  %-24s %5.1f%%%n", r.name(), 100 * r.greedy());
    }
    out.println(Report.goalLine(curve.points(), task.demonstrations().size()));
    out.println(Report.deadLetterLine(runId, outcome.deadLetters()));
    out.printf(Locale.ROOT, "report: %s  (%.0f s in all)%n", report.toAbsolutePath(), seconds(t0));
    return 0;
  }

  /** π_0, pretrained once per corpus, seed and step count, and cached. */
  private Path pretrained(BuiltinTask task, Path runDir, PrintStream out) throws Exception {
    // The corpus's own hash in the key: a cache from an older version of the task is never reused.
    String corpus = io.alignstream.schemas.ContentId.sha256(Files.readAllBytes(runDir.resolve("task/corpus.jsonl")))
        .substring(0, 12);
    Path cached = cacheDir.resolve("builtin-base-" + corpus + "-s" + seed + "-" + pretrainSteps
        + (arch.equals("gpt2") ? "" : "-" + arch));
    if (Files.exists(cached.resolve("model.safetensors"))) {
      out.println("π_0: cached at " + cached);
      return cached;
    }
    out.println("π_0: pretraining on the corpus (" + pretrainSteps + " steps; cached for the next run)");
    Path tmp = Files.createDirectories(cacheDir).resolve(".tmp-" + cached.getFileName() + "-" + ProcessHandle.current().pid());
    int code = new CommandLine(new PretrainCommand()).execute("--corpus", runDir.resolve("task/corpus.jsonl").toString(),
        "--out", tmp.toString(), "--arch", arch, "--steps", Integer.toString(pretrainSteps), "--batch-size", "32",
        "--seed", Long.toString(seed), "--threads", Integer.toString(pipeline.threads().count()));
    if (code != 0) {
      throw new IllegalStateException("pretraining failed (see above)");
    }
    Files.move(tmp, cached);
    return cached;
  }

  /**
   * The streaming policy's golden success, judged every {@code --eval-every} versions and at the end,
   * on the main thread from the checkpoint of the version judged.
   */
  private final class GoldenCurve implements AlignmentRun.Observer {
    private final List<TaskPrompt> eval;
    private final long t0;
    private final List<CurvePoint> points = new ArrayList<>();
    private RunReporter evaluator;
    private long lastJudged;

    GoldenCurve(List<TaskPrompt> eval, long t0) {
      this.eval = eval;
      this.t0 = t0;
    }

    void reportTo(RunReporter evaluator) {
      this.evaluator = evaluator;
    }

    List<CurvePoint> points() {
      return List.copyOf(points);
    }

    @Override
    public void observe(LearnerService.Snapshot snapshot, ProgressBar bar) throws IOException {
      long v = snapshot.version();
      if (!points.isEmpty()) {
        bar.set("golden", "%.1f%%", 100 * points.get(points.size() - 1).success());
      }
      if (v >= 1 && (v - 1) % evalEvery == 0 && v > lastJudged) {
        lastJudged = v;
        judge(snapshot);
      }
    }

    @Override
    public void finished(LearnerService.Snapshot last) throws IOException {
      judge(last);
    }

    private void judge(LearnerService.Snapshot snapshot) throws IOException {
      long version = snapshot.version();
      if (!points.isEmpty() && points.get(points.size() - 1).version() == version) {
        return;
      }
      Path dir = LearnerCheckpoint.policyDir(snapshot.checkpoint());
      try (Policy policy = Policy.load(dir); Tokenizer tok = Tokenizer.load(dir)) {
        double s = Evaluation.greedy(policy, tok, eval, MAX_NEW_TOKENS).success();
        points.add(new CurvePoint(version, s, seconds(t0), snapshot.trainedSamples()));
        evaluator.metric("eval.golden_success", s, snapshot.updates(), version);
      }
    }
  }

  /**
   * The SFT-only baseline: the same demonstrations and the same number of policy optimiser steps as
   * the aligned policy (SFT stage + loop updates), with the learning rate chosen among three by the
   * NLL of demonstrations held out from its training (never by the golden judge).
   */
  private Result sftOnly(BuiltinTask task, Path base, Tokenizer tok, Recipe recipe, Path out, List<TaskPrompt> eval,
      PrintStream log) throws Exception {
    List<Example> demos = new ArrayList<>();
    task.demonstrations().forEach(d -> demos.add(new Example(tok.encode(d.prompt()), tok.responseIds(d.response()))));
    Collections.shuffle(demos, new Random(seed));
    int holdout = Math.max(1, demos.size() / 10);
    List<Example> valid = demos.subList(0, holdout);
    List<Example> train = demos.subList(holdout, demos.size());
    int steps = recipe.sftSteps() + recipe.maxUpdates();
    double bestLr = Double.NaN;
    double bestNll = Double.POSITIVE_INFINITY;
    for (double lr : new double[] {3e-4, 1e-3, 3e-3}) {
      try (Policy p = Policy.load(base)) {
        train(p, train, steps, recipe.sftBatch(), lr);
        double nll = -mean(p.sequenceLogProbs(valid));
        log.printf(Locale.ROOT, "sft-only: lr %.0e -> held-out NLL %.3f%n", lr, nll);
        if (nll < bestNll) {
          bestNll = nll;
          bestLr = lr;
        }
      }
    }
    try (Policy p = Policy.load(base)) {
      train(p, demos, steps, recipe.sftBatch(), bestLr);
      p.save(out);
      tok.save(out);
      return judge("SFT only", p, tok, eval, String.format(Locale.ROOT,
          "%d steps of batch %d on the same %d demonstrations, lr %.0e (best of 3e-4, 1e-3, 3e-3 by held-out NLL)",
          steps, recipe.sftBatch(), demos.size(), bestLr));
    }
  }

  private void train(Policy p, List<Example> data, int steps, int batch, double lr) {
    try (PolicyTrainer t = new PolicyTrainer(p, new AdamW(AdamWConfig.defaults(),
        LrSchedule.cosine(lr, Math.min(10, steps / 10), steps)))) {
      List<Example> order = new ArrayList<>(data);
      Random random = new Random(seed);
      int cursor = order.size();
      for (int s = 0; s < steps; s++) {
        List<Example> b = new ArrayList<>(batch);
        while (b.size() < batch) {
          if (cursor == order.size()) {
            Collections.shuffle(order, random);
            cursor = 0;
          }
          b.add(order.get(cursor++));
        }
        t.sftStep(b);
      }
    }
  }

  private Result judge(String name, Policy p, Tokenizer tok, List<TaskPrompt> eval, String how) {
    var g = Evaluation.greedy(p, tok, eval, MAX_NEW_TOKENS);
    double s = Evaluation.sampled(p, tok, eval, MAX_NEW_TOKENS, seed).success();
    return new Result(name, g.success(), s, how, g.byKind());
  }

  private static double mean(double[] xs) {
    double s = 0;
    for (double x : xs) {
      s += x;
    }
    return xs.length == 0 ? 0 : s / xs.length;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
