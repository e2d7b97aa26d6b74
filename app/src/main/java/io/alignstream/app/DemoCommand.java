package io.alignstream.app;

import io.alignstream.broker.RunSession;
import io.alignstream.console.ProgressBar;
import io.alignstream.console.Terminal;
import io.alignstream.learner.LearnerCheckpoint;
import io.alignstream.learner.LearnerService;
import io.alignstream.learner.Recipe;
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
 * measuring it with the golden judge, and writes a report comparing π_0, SFT alone, π_SFT, the
 * oracle-ranked loop and the continuously aligned policy ({@link DemoComparison}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "The main job, end to end on the built-in task (Helpful/Harmless-like requests, a mixed "
            + "pre-training corpus, a golden judge for evaluation only): 96 demonstrations show a quarter of "
            + "each kind's items; 400 practice prompts and the 320 evaluation prompts ask about the others.",
        "  1. pretrains the tiny base policy π_0 on the corpus (cached for the next run);",
        "  2. streams the demonstrations and practice prompts into Kafka (embedded broker unless --bootstrap);",
        "  3. runs the samplers, the rewarder, the batching topology and the learner (SFT tuned by held-out "
            + "NLL, then the continuous loop), measuring golden success on held-out prompts as it goes;",
        "  4. writes runs/<run>/report.html (charts) and report.json comparing, greedy and with 4 samples "
            + "per prompt (95%% intervals): π_0, SFT alone (same demonstrations, tuned the same way), π_SFT, "
            + "the oracle-ranked loop (the upper bound), the aligned policy and the one kept (never worse than "
            + "SFT, judged without the judge), with the headroom captured; the models are saved beside it."})
public final class DemoCommand implements Callable<Integer> {
  private static final int MAX_NEW_TOKENS = 32;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--run", paramLabel = "ID", description = "Run id. Default: demo-<date>-<time>.")
  private String run;

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

  @Option(names = "--updates", paramLabel = "N", defaultValue = "100",
      description = "Learner updates after SFT (loop.max_updates). Default: ${DEFAULT-VALUE}.")
  private int updates;

  @Option(names = "--eval-every", paramLabel = "N", defaultValue = "10",
      description = "Judge the policy on the held-out prompts every N versions. Default: ${DEFAULT-VALUE}.")
  private int evalEvery;

  /** --bootstrap, --kafka-config, --data-dir, --replication-factor, --recipe, --set, --samplers, --threads... */
  @Mixin
  private PipelineOptions pipeline = new PipelineOptions();

  /** Samples per prompt of the sampled evaluation (temperature 1). */
  static final int EVAL_SAMPLES = 4;

  /** Golden success of one policy on the held-out prompts: greedy, and {@link #EVAL_SAMPLES} sampled answers each. */
  record Result(String name, Evaluation.Result greedy, Evaluation.Result sampled, String how) {}

  /**
   * One judgement of the streaming policy: its version, golden success (greedy), seconds since the
   * start, samples the loop trained, and the reward model's held-out pair accuracy then (NaN before it
   * is measured).
   */
  record CurvePoint(long version, double success, double seconds, long samplesTrained, double rewardAccuracy) {}

  @Override
  public Integer call() throws Exception {
    pipeline.threads().apply();
    PrintStream out = System.out;
    long t0 = System.nanoTime();
    String runId = AlignmentRun.runId(run, "demo");
    // Bad input is refused before anything is written.
    Recipe recipe = pipeline.recipe(List.of("loop.max_updates=" + updates, "seed=" + seed));
    Path runDir = Files.createDirectories(runsDir.resolve(runId));
    try (AutoCloseable logs = pipeline.serviceLogs(runDir.resolve("services.log"))) {
      return demo(runId, recipe, runDir, out, t0);
    }
  }

  private int demo(String runId, Recipe recipe, Path runDir, PrintStream out, long t0) throws Exception {
    Map<String, Double> stageSeconds = new LinkedHashMap<>();

    // 1. The task and π_0.
    out.println("== alignstream demo: run " + runId + " ==");
    String logs = pipeline.logsLine(runDir.resolve("services.log"));
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
    var judge = new DemoComparison(task, eval, MAX_NEW_TOKENS, seed, out);
    List<Result> results = new ArrayList<>();
    try (Policy p = Policy.load(base); Tokenizer tok = Tokenizer.load(base)) {
      results.add(judge.judge("base (π_0)", p, tok, "pretrained on the mixed corpus, " + pretrainSteps + " steps"));
    }

    // 2-3. Everything streaming, over Kafka, judged as it goes.
    Path aligned = runDir.resolve("models/aligned");
    Path rewardDir = runDir.resolve("models/reward");
    GoldenCurve curve = new GoldenCurve(eval, t0);
    AlignmentRun.Outcome outcome;
    List<String> runPrompts = new ArrayList<>();
    task.demonstrations().forEach(d -> runPrompts.add(d.prompt()));
    task.practicePrompts().forEach(p -> runPrompts.add(p.text()));
    List<String> distinctPrompts = runPrompts.stream().distinct().toList();
    Recipe run = AlignmentRun.fitToPrompts(recipe, distinctPrompts.size());
    t = System.nanoTime();
    // Demonstrations and practice prompts interleaved, as users would stream them.
    List<AlignmentRun.Raw> records = new ArrayList<>();
    task.demonstrations().forEach(d -> records.add(new AlignmentRun.Raw(d.prompt(), d.response(), "builtin-task")));
    task.practicePrompts().forEach(p -> records.add(AlignmentRun.Raw.prompt(p.text(), "builtin-task")));
    Collections.shuffle(records, new Random(seed));
    try (RunSession session = pipeline.open(Topics.forRun(runId), Terminal.err())) {
      // SFT starts once every distinct demonstration is in (ingest keeps one copy of duplicates).
      int distinct = (int) task.demonstrations().stream().map(d -> d.prompt() + "\u0000" + d.response()).distinct().count();
      var settings = new AlignmentRun.Settings(session.topics(), runDir, base, run, distinct, pipeline.samplers(),
          MAX_NEW_TOKENS, seed, "demo", pipeline.dashboardPort(), null, null);
      try (RunReporter evaluator = new RunReporter(new KafkaProducer<>(session.connection().producerConfig(),
          new ByteArraySerializer(), new ByteArraySerializer()), session.topics(), "evaluator")) {
        curve.reportTo(evaluator);
        outcome = AlignmentRun.run(session.connection(), settings, records, curve, out);
      }
      outcome.save(aligned, rewardDir);
    }
    stageSeconds.put("stream", seconds(t));

    // 4. The comparison, on the same held-out prompts.
    t = System.nanoTime();
    Path sftDir = LearnerCheckpoint.policyDir(outcome.sft());
    KeptPolicy kept;
    try (Tokenizer tok = Tokenizer.load(base)) {
      Result sftOnly = judge.sftOnly(base, tok, run, runDir.resolve("models/sft-only"));
      results.add(sftOnly);
      Result sftStage;
      Result loop;
      try (Policy sft = Policy.load(sftDir); Policy p = Policy.load(aligned);
          RewardEnsemble reward = RewardEnsemble.load(rewardDir, run.seed())) {
        sftStage = judge.judge("AfD SFT stage (π_SFT)", sft, tok, "the learner's SFT stage, tuned by held-out NLL");
        results.add(sftStage);
        results.add(judge.oracle(sft, tok, run, distinctPrompts, updates));
        loop = judge.judge("aligned (AfD loop)", p, tok, "π_SFT then " + updates + " streaming updates: "
            + Recipe.name(run.policyObjective()) + " ranked by the reward model's " + Recipe.name(run.ranking())
            + " (reward backbone " + Recipe.name(run.rewardBackbone()) + "), policy lr " + run.policyLr());
        results.add(loop);
        kept = KeptPolicy.choose(p, sft, reward, tok, records, MAX_NEW_TOKENS);
      }
      Result keptResult = kept.keptLoop() ? loop : sftStage;
      results.add(new Result("kept: " + kept.kept(), keptResult.greedy(), keptResult.sampled(), kept.why()));
    }
    stageSeconds.put("compare", seconds(t));
    stageSeconds.put("total", seconds(t0));
    var comparison = DemoComparison.Comparison.of(results);
    Path report = Report.write(runDir, runId, task, run, results, comparison, kept, curve.points(), stageSeconds,
        outcome.deadLetters());
    out.println();
    out.println("golden success on " + eval.size() + " held-out prompts about undemonstrated items "
        + "(greedy; sampled: " + EVAL_SAMPLES + " answers each at T 1; ± 95% interval):");
    for (Result r : results) {
      out.printf(Locale.ROOT, "  %-34s %5.1f%% ± %3.1f   %5.1f%% ± %3.1f%n", r.name(), 100 * r.greedy().success(),
          100 * r.greedy().halfWidth(), 100 * r.sampled().success(), 100 * r.sampled().halfWidth());
    }
    comparison.lines().forEach(out::println);
    out.println("kept " + kept.kept() + ": " + kept.why());
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
        points.add(new CurvePoint(version, s, seconds(t0), snapshot.trainedSamples(),
            snapshot.metrics().getOrDefault("reward.pair_accuracy", Double.NaN)));
        evaluator.metric("eval.golden_success", s, snapshot.updates(), version);
      }
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
