package io.alignstream.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.learner.Recipe;
import io.alignstream.learner.LearnerCheckpoint;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.lora.PeftFiles;
import io.alignstream.model.cli.GenerateCommand;
import io.alignstream.model.cli.PretrainCommand;
import io.alignstream.model.cli.PromptsFile;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import picocli.CommandLine;

/**
 * Aligns a user's base model on a user's demonstrations with the whole streaming pipeline (ingest,
 * samplers, rewarder, batching, learner, over Kafka) and writes the aligned model directory. The
 * built-in task is not involved: there is no golden judge for a user's data, so with evaluation
 * prompts it writes the aligned and the base model's answers as JSON lines for outside judges.
 *
 * <p>Three steps, so that bad input fails before a broker is started: {@link #plan} checks the files
 * (and pretrains a base from a corpus), {@link #align} runs the pipeline, {@link #evaluate} answers
 * the evaluation prompts.
 */
final class AlignJob {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Updates after SFT unless --updates says otherwise: the loop's budget, whatever the number of prompts. */
  static final int DEFAULT_UPDATES = 60;

  /**
   * @param base the base model directory; null when {@code corpus} is given
   * @param corpus a pretraining corpus to make the base from first; null when {@code base} is given
   * @param demos the demonstrations (JSON lines with prompt and response)
   * @param out the aligned model directory to write
   * @param prompts practice prompts (JSON lines with prompt, no response): the samplers answer them and the
   *     reward model judges the answers, beside the demonstrations' prompts; may be null
   * @param evalPrompts JSON lines with prompt, answered by both models after training; may be null
   * @param workDir checkpoints and Streams state of this run
   * @param recipe the recipe, before {@code loop.max_updates} is set from {@code updates}
   * @param updates learner updates after SFT, the prompts coming round again as often as that takes
   * @param samplers sampler replicas
   * @param maxNewTokens longest sampled and evaluated response
   * @param pretrainSteps pretraining steps with a corpus (0: three epochs)
   * @param preset model shape pretrained from a corpus
   * @param seed seed of pretraining, sampling and evaluation
   * @param threads libtorch threads (also for pretraining)
   * @param dashboardPort live dashboard port; 0 any free port, negative none
   * @param stallTimeout stop (keeping what was trained) after this long without a new version
   * @param timeBudget stop (keeping what was trained) this long after SFT; null for none
   * @param merge with LoRA, also write the adapter merged into the base as {@code out/merged}
   */
  record Config(Path base, Path corpus, Path demos, Path prompts, Path out, Path evalPrompts, Path workDir,
      Recipe recipe, int updates, int samplers, int maxNewTokens, int pretrainSteps, String preset, long seed,
      int threads, int dashboardPort, Duration stallTimeout, Duration timeBudget, boolean merge) {
    Config {
      if ((base == null) == (corpus == null)) {
        throw new IllegalArgumentException("give either --base DIR (a model directory) or --corpus FILE "
            + "(to pretrain one first), not " + (base == null ? "neither" : "both"));
      }
      Objects.requireNonNull(demos, "--demos is required");
      Objects.requireNonNull(out, "--out is required");
      Objects.requireNonNull(workDir, "workDir");
      Objects.requireNonNull(recipe, "recipe");
      atLeast("--updates", updates, 1);
      atLeast("--samplers", samplers, 1);
      atLeast("--max-new-tokens", maxNewTokens, 1);
      atLeast("--pretrain-steps", pretrainSteps, 0);
      atLeast("--threads", threads, 1);
      if (stallTimeout.isNegative() || stallTimeout.isZero()) {
        throw new IllegalArgumentException("--stall-timeout must be positive, got " + stallTimeout);
      }
      if (timeBudget != null && (timeBudget.isNegative() || timeBudget.isZero())) {
        throw new IllegalArgumentException("--minutes must be positive, got " + timeBudget.toMinutes());
      }
    }

    private static void atLeast(String option, int value, int min) {
      if (value < min) {
        throw new IllegalArgumentException(option + " must be at least " + min + ", got " + value);
      }
    }
  }

  /**
   * What {@link #plan} decided.
   *
   * @param base the base model directory (given, or pretrained into {@code out/base})
   * @param demonstrations the valid demonstrations of the file
   * @param fitting how many of them fit the base's context (SFT waits for all of them)
   * @param prompts every distinct prompt of the run: the fitting demonstrations' and the practice prompts
   * @param recipe the recipe, with {@code loop.max_updates} set (and the prompts per update, when fewer)
   */
  record Plan(Config config, Path base, DemonstrationsFile demonstrations, int fitting, List<String> prompts,
      Recipe recipe) {}

  /** What {@link #align} produced. */
  record Result(long version, long updates, boolean stalled, Path model, Path reward, double seconds) {}

  private AlignJob() {}

  /**
   * Checks every input file, pretrains the base when a corpus is given, and settles the number of
   * updates. Every check that needs no work comes before anything is printed, so bad input is one
   * error line and nothing else; {@code banner} is printed once they pass.
   */
  static Plan plan(Config c, String banner, PrintStream log) throws IOException {
    DemonstrationsFile demos = DemonstrationsFile.read(c.demos());
    int evalPrompts = c.evalPrompts() == null ? 0 : PromptsFile.read(c.evalPrompts(), "evaluation prompts").size();
    List<String> practice = new ArrayList<>(demos.prompts());
    if (c.prompts() != null) {
      practice.addAll(PromptsFile.texts(c.prompts(), "practice prompts"));
    }
    Fit fit = null;
    if (c.base() != null) {
      requireModelDir(c.base());
      fit = fit(c, demos, practice, c.base());
    } else if (!Files.isRegularFile(c.corpus())) {
      throw new IllegalArgumentException("corpus file not found: " + c.corpus());
    }
    log.println(banner);
    log.println("demonstrations: " + demos.summary());
    if (evalPrompts > 0) {
      log.println("evaluation prompts: " + evalPrompts + " in " + c.evalPrompts());
    }
    Path base = c.base();
    if (base == null) {
      base = c.out().resolve("base");
      log.println("base: pretraining on " + c.corpus() + " into " + base);
      List<String> args = new ArrayList<>(List.of("--corpus", c.corpus().toString(), "--out", base.toString(),
          "--preset", c.preset(), "--seed", Long.toString(c.seed()), "--threads", Integer.toString(c.threads())));
      if (c.pretrainSteps() > 0) {
        args.addAll(List.of("--steps", Integer.toString(c.pretrainSteps())));
      }
      if (new CommandLine(new PretrainCommand()).execute(args.toArray(String[]::new)) != 0) {
        throw new IllegalStateException("pretraining the base on " + c.corpus() + " failed (see above)");
      }
      fit = fit(c, demos, practice, base);
    }
    int total = demos.demonstrations().size();
    if (fit.fitting() < total) {
      log.printf(Locale.ROOT, "demonstrations: %d of %d are longer than the context of %d tokens and are skipped%n",
          total - fit.fitting(), total, fit.context());
    }
    log.printf(Locale.ROOT, "plan: SFT (at most %d steps%s) on %d demonstrations, then %d updates over %d prompts "
            + "(%d of them practice prompts, in rounds)%s%n",
        fit.recipe().sftSteps(), fit.recipe().sftTune() ? ", tuned by held-out NLL" : "", fit.fitting(),
        fit.recipe().maxUpdates(), fit.prompts().size(), fit.practice(),
        c.timeBudget() == null ? "" : ", for at most " + c.timeBudget().toMinutes() + " minutes");
    return new Plan(c, base, demos, fit.fitting(), fit.prompts(), fit.recipe());
  }

  /** How the demonstrations fit a base: those within its context, their prompts, and the recipe with its updates. */
  private record Fit(int fitting, List<String> prompts, int practice, int context, Recipe recipe) {}

  private static Fit fit(Config c, DemonstrationsFile demos, List<String> practice, Path base) throws IOException {
    // The learner skips demonstrations that do not fit the context and SFT waits for the rest: count them.
    ModelConfig model = ModelConfig.read(base.resolve(ModelConfig.FILE_NAME));
    int fitting = 0;
    Set<String> prompts = new java.util.LinkedHashSet<>();
    try (Tokenizer tok = Tokenizer.load(base)) {
      for (Demonstration d : demos.demonstrations()) {
        int p = tok.encode(d.getPrompt()).length;
        int r = tok.responseIds(d.getResponse()).length;
        if (p > 0 && r > 0 && p + r <= model.contextLength()) {
          fitting++;
          prompts.add(d.getPrompt());
        }
      }
    }
    if (fitting == 0) {
      throw new IllegalArgumentException("none of the " + demos.demonstrations().size() + " demonstrations fits the "
          + "base model's context of " + model.contextLength() + " tokens");
    }
    int practiceFitting = 0;
    try (Tokenizer tok = Tokenizer.load(base)) {
      for (String p : practice) {
        int n = tok.encode(p).length;
        if (n > 0 && n < model.contextLength() && prompts.add(p)) {
          practiceFitting++;
        }
      }
    }
    // With bounded rounds (loop.rounds > 0) each prompt is sampled that often and an update takes
    // loop.prompts_per_update batches: asking for more updates would wait for batches that never come.
    Recipe r = AlignmentRun.fitToPrompts(c.recipe(), prompts.size());
    if (r.rounds() > 0 && (long) c.updates() * r.promptsPerUpdate() > (long) prompts.size() * r.rounds()) {
      throw new IllegalArgumentException(c.updates() + " updates need " + c.updates() * r.promptsPerUpdate()
          + " batches, but " + prompts.size() + " distinct prompts × loop.rounds=" + r.rounds() + " make only "
          + prompts.size() * r.rounds() + ": lower --updates, or set loop.rounds=0 (prompts come round until the "
          + "budget is spent)");
    }
    return new Fit(fitting, List.copyOf(prompts), practiceFitting, model.contextLength(),
        r.with(null, List.of("loop.max_updates=" + c.updates())));
  }

  /** Runs every service over Kafka until the learner has made the plan's updates, and writes the models. */
  static Result align(Plan plan, KafkaConnection kafka, Topics topics, PrintStream log) throws Exception {
    Config c = plan.config();
    var settings = new AlignmentRun.Settings(topics, c.workDir(), plan.base(), plan.recipe(), plan.fitting(),
        c.samplers(), c.maxNewTokens(), c.seed(), "align", c.dashboardPort(), c.stallTimeout(), c.timeBudget());
    List<AlignmentRun.Raw> records = new ArrayList<>();
    plan.demonstrations().demonstrations()
        .forEach(d -> records.add(new AlignmentRun.Raw(d.getPrompt(), d.getResponse(), d.getSource())));
    Set<String> demoPrompts = new HashSet<>();
    plan.demonstrations().demonstrations().forEach(d -> demoPrompts.add(d.getPrompt()));
    plan.prompts().stream().filter(p -> !demoPrompts.contains(p)).forEach(p -> records.add(AlignmentRun.Raw.prompt(p, "align")));
    AlignmentRun.Outcome outcome = AlignmentRun.run(kafka, settings, records, AlignmentRun.Observer.NONE, log);
    Path reward = c.out().resolve("reward");
    outcome.save(c.out(), reward);
    // Never worse than SFT: keep π_SFT only when significantly fewer of the loop's answers fall among the demonstrations
    // (with LoRA both are adapters over the same frozen base, and the kept one is what --merge merges).
    KeptPolicy kept;
    try (Policy loop = Policy.load(c.out()); Policy sft = Policy.load(LearnerCheckpoint.policyDir(outcome.sft()));
        Tokenizer tok = Tokenizer.load(c.out()); RewardEnsemble rm = RewardEnsemble.load(reward, plan.recipe().seed())) {
      kept = KeptPolicy.choose(loop, sft, rm, tok, records, c.maxNewTokens());
      if (!kept.keptLoop()) {
        sft.save(c.out());
      }
    }
    log.println("kept " + kept.kept() + ": " + kept.why());
    if (plan.recipe().lora().enabled()) {
      log.println("LoRA adapter (PEFT layout: " + PeftFiles.CONFIG_FILE + ", " + PeftFiles.WEIGHTS_FILE + ") in "
          + c.out() + ", beside its frozen base");
      if (c.merge()) {
        log.println("merged model: " + writeMerged(c.out()));
      }
    } else if (c.merge()) {
      log.println("--merge: no adapter to merge (lora.rank=0), " + c.out() + " is the whole model");
    }
    log.println(Report.deadLetterLine(topics.runId(), outcome.deadLetters()));
    Result result = new Result(outcome.last().version(), outcome.last().updates(), outcome.stalled(), c.out(), reward,
        outcome.seconds());
    writeSummary(plan, topics, result, kept);
    return result;
  }

  /** The adapted policy in {@code out} with its adapter merged in, as a plain model directory {@code out/merged}. */
  static Path writeMerged(Path out) throws IOException {
    Path merged = out.resolve("merged");
    try (Policy adapted = Policy.load(out); Policy plain = adapted.merged(); Tokenizer tokenizer = Tokenizer.load(out)) {
      plain.save(merged);
      tokenizer.save(merged);
    }
    return merged;
  }

  /**
   * Answers the evaluation prompts with the aligned model and the base (greedy unless a temperature
   * is given), as {@code out/eval-aligned.jsonl} and {@code out/eval-base.jsonl}.
   */
  static List<Path> evaluate(Plan plan, double temperature, PrintStream log) {
    Config c = plan.config();
    if (c.evalPrompts() == null) {
      return List.of();
    }
    List<Path> written = new ArrayList<>();
    for (var model : List.of(Map.entry("aligned", c.out()), Map.entry("base", plan.base()))) {
      Path file = c.out().resolve("eval-" + model.getKey() + ".jsonl");
      int code = new CommandLine(new GenerateCommand()).execute("--model", model.getValue().toString(),
          "--prompts", c.evalPrompts().toString(), "--out", file.toString(),
          "--temperature", Double.toString(temperature), "--max-new-tokens", Integer.toString(c.maxNewTokens()),
          "--seed", Long.toString(c.seed()), "--threads", Integer.toString(c.threads()));
      if (code != 0) {
        throw new IllegalStateException("answering " + c.evalPrompts() + " with the " + model.getKey()
            + " model failed (see above)");
      }
      written.add(file);
    }
    log.println("evaluation: answers of the aligned and the base model in " + written.get(0) + " and "
        + written.get(1) + " (judge them with any outside tool)");
    return written;
  }

  private static void requireModelDir(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("base model directory not found: " + dir
          + " (make one with 'alignstream pretrain', or pass --corpus FILE to pretrain one first)");
    }
    for (String f : List.of(ModelConfig.FILE_NAME, "model.safetensors", Tokenizer.FILE_NAME)) {
      // A Hugging Face checkpoint may come in shards, named by model.safetensors.index.json.
      if (!Files.isRegularFile(dir.resolve(f)) && !Files.isRegularFile(dir.resolve(f + ".index.json"))) {
        throw new IllegalArgumentException(dir + " is not a model directory: " + f + " is missing (it needs "
            + ModelConfig.FILE_NAME + ", model.safetensors and " + Tokenizer.FILE_NAME + ")");
      }
    }
  }

  private static void writeSummary(Plan plan, Topics topics, Result r, KeptPolicy kept) throws IOException {
    Config c = plan.config();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("run", topics.runId());
    s.put("base", plan.base().toAbsolutePath().toString());
    s.put("demonstrations_file", c.demos().toAbsolutePath().toString());
    s.put("demonstrations", plan.demonstrations().demonstrations().size());
    s.put("demonstrations_rejected", plan.demonstrations().rejected());
    s.put("demonstrations_fitting", plan.fitting());
    s.put("prompts", plan.prompts().size());
    s.put("kept", kept.toJson());
    s.put("recipe", plan.recipe().toMap());
    s.put("version", r.version());
    s.put("updates", r.updates());
    s.put("stalled", r.stalled());
    s.put("seconds", Math.round(r.seconds()));
    Files.createDirectories(c.out());
    JSON.writerWithDefaultPrettyPrinter().writeValue(c.out().resolve("align.json").toFile(), s);
  }
}
