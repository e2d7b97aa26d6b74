package io.alignstream.app;

import io.alignstream.broker.DurationConverter;
import io.alignstream.broker.RunSession;
import io.alignstream.console.Terminal;
import io.alignstream.learner.Recipe;
import io.alignstream.schemas.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream align}: bring your own base model and demonstrations. Only wiring: see {@link AlignJob}. */
@Command(name = "align", mixinStandardHelpOptions = true,
    description = {
        "Aligns your base model on your demonstrations with the same pipeline as 'demo' (ingest, samplers, "
            + "rewarder, batching and learner over Kafka; embedded broker unless --bootstrap): SFT on the "
            + "demonstrations, then the continuous AfD loop for --updates updates. Writes the aligned model to "
            + "--out in the layout it was given (config.json, model.safetensors, tokenizer.json, loadable by "
            + "'generate', the sampler and the learner), its reward-model ensemble in OUT/reward, and "
            + "OUT/align.json (run, counts, recipe).",
        "",
        "--demos is JSON lines, {\"prompt\": ..., \"response\": ...} each, checked before anything starts: lines "
            + "that are not valid demonstrations are skipped with the reason of the first one shown; a file with "
            + "none is an error. With --eval-prompts ({\"prompt\": ...} lines), the aligned and the base model "
            + "answer them into OUT/eval-aligned.jsonl and OUT/eval-base.jsonl, for any outside judge; "
            + "'alignstream export --run RUN --topic generations' gives everything the samplers produced.",
        "",
        "Recipe keys (--recipe FILE as key = value lines, or --set key=value):"})
public final class AlignCommand implements Callable<Integer> {
  @Option(names = "--base", paramLabel = "DIR",
      description = "Your base model π_0: a Hugging Face model directory of a GPT-2, Llama (SmolLM2, TinyLlama, "
          + "Llama 3.x), Qwen2 or Qwen3 checkpoint with config.json, model.safetensors (or shards and their index) "
          + "and tokenizer.json; its tokenizer_config.json's chat template, when there is one, renders every "
          + "prompt, and its end tokens end generation. Or one from 'alignstream pretrain'. Give --base or --corpus.")
  private Path base;

  @Option(names = "--corpus", paramLabel = "FILE",
      description = "Instead of --base: pretrain a base on this corpus first (plain text or JSONL lines, as "
          + "'alignstream pretrain' takes; its words make the tokenizer, so let it cover your demonstrations' "
          + "vocabulary). The base is written to OUT/base.")
  private Path corpus;

  @Option(names = "--demos", required = true, paramLabel = "FILE",
      description = "Demonstrations: JSON lines with \"prompt\" and \"response\" (lines {\"prompt\", \"kind\": "
          + "\"prompt\"} are practice prompts, as the raw topic takes them).")
  private Path demos;

  @Option(names = "--prompts", paramLabel = "FILE",
      description = "Practice prompts: JSON lines with \"prompt\" and no response. The samplers answer them and the "
          + "reward model judges the answers, so the loop practises on what no demonstration shows.")
  private Path prompts;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the aligned model goes (created).")
  private Path out;

  @Option(names = "--eval-prompts", paramLabel = "FILE",
      description = "JSON lines with \"prompt\": answered by the aligned and the base model after training.")
  private Path evalPrompts;

  @Option(names = "--eval-temperature", paramLabel = "T", defaultValue = "0",
      description = "Sampling temperature of those answers; 0 = greedy. Default: ${DEFAULT-VALUE}.")
  private double evalTemperature;

  @Option(names = "--updates", paramLabel = "N", defaultValue = "" + AlignJob.DEFAULT_UPDATES,
      description = "Learner updates after SFT: the loop's budget. The prompts come round again as often as it "
          + "takes, so 5 distinct prompts get as many updates as 5,000. Default: ${DEFAULT-VALUE}.")
  private int updates;

  @Option(names = "--minutes", paramLabel = "M",
      description = "Also stop this many minutes after SFT, keeping the newest version (default: no time limit).")
  private Integer minutes;

  /** --bootstrap, --kafka-config, --data-dir, --replication-factor, --recipe, --set, --samplers, --threads... */
  @Mixin
  private PipelineOptions pipeline = new PipelineOptions();

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64",
      description = "Longest sampled (and evaluated) response; the context length also caps it. Default: ${DEFAULT-VALUE}.")
  private int maxNewTokens;

  @Option(names = "--pretrain-steps", paramLabel = "N", defaultValue = "0",
      description = "With --corpus: pretraining steps (batch 16); 0 = three passes over the corpus. Default: ${DEFAULT-VALUE}.")
  private int pretrainSteps;

  @Option(names = "--preset", paramLabel = "NAME", defaultValue = "tiny",
      description = "With --corpus: the model shape, tiny or gpt2-small (see 'alignstream pretrain'). Default: ${DEFAULT-VALUE}.")
  private String preset;

  @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42",
      description = "Seed of pretraining, sampling and evaluation (the recipe's seed key seeds training). "
          + "Default: ${DEFAULT-VALUE}.")
  private long seed;

  @Option(names = "--run", paramLabel = "ID", description = "Run id (names its topics). Default: align-<date>-<time>.")
  private String run;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "The learner's checkpoints and the topologies' state. Default: .alignstream/runs/<run>.")
  private Path workDir;

  @Option(names = "--merge", description = "With a LoRA recipe (--set lora.rank=R), also write the adapter merged "
      + "into the base as OUT/merged (a plain model directory). OUT itself holds the frozen base and the adapter "
      + "in PEFT's layout (adapter_config.json, adapter_model.safetensors).")
  private boolean merge;

  @Option(names = "--stall-timeout", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
      description = "After SFT, stop and keep the latest version when none came for this long. Default: ${DEFAULT-VALUE}.")
  private Duration stallTimeout;

  @Override
  public Integer call() throws Exception {
    String runId = AlignmentRun.runId(run, "align");
    Recipe recipe = pipeline.recipe(List.of());
    var config = new AlignJob.Config(base, corpus, demos, prompts, out, evalPrompts,
        workDir != null ? workDir : Path.of(".alignstream", "runs", runId), recipe, updates, pipeline.samplers(),
        maxNewTokens, pretrainSteps, preset, seed, pipeline.threads().count(), pipeline.dashboardPort(), stallTimeout,
        minutes == null ? null : Duration.ofMinutes(minutes), merge);
    pipeline.threads().apply();
    PrintStream log = System.out;
    AlignJob.Result result;
    AlignJob.Plan plan;
    Path logFile = config.workDir().resolve("services.log");
    String banner = "== alignstream align: run " + runId + " ==";
    String logs = pipeline.logsLine(logFile);
    try (AutoCloseable quiet = pipeline.serviceLogs(logFile)) {
      plan = AlignJob.plan(config, logs.isEmpty() ? banner : banner + System.lineSeparator() + logs, log);
      try (RunSession session = pipeline.open(Topics.forRun(runId), Terminal.err())) {
        result = AlignJob.align(plan, session.connection(), session.topics(), log);
      }
      AlignJob.evaluate(plan, evalTemperature, log);
    }
    log.printf(Locale.ROOT, "aligned model: %s  (v%d: SFT then %d updates, %.0f s)%n", result.model().toAbsolutePath(),
        result.version(), result.updates(), result.seconds());
    return 0;
  }
}
