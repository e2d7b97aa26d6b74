package io.alignstream.learner;

import io.alignstream.broker.DurationConverter;
import io.alignstream.broker.RunSession;
import io.alignstream.model.NativeArrays;
import io.alignstream.runtime.Service;
import io.alignstream.runtime.ServiceCommand;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code alignstream learner}: the batching topology and the learner of one run, until Ctrl-C or
 * {@code loop.max_updates}. Only wiring: the work is in {@link BatchingService} and {@link LearnerService}.
 */
@Command(name = "learner",
    description = {
        "Trains the run's policy and discriminator reward model, continuously: SFT on the demonstrations, "
            + "then one update per group of scored batches (reward model first, then the policy per the recipe), "
            + "each checkpointed and published through Kafka for the samplers and the rewarder to hot-swap.",
        "",
        "Also runs the batching topology that groups each prompt's K scored generations, with its demonstration, "
            + "into a training batch.",
        "",
        "Restarted, it resumes from its newest checkpoint with no batch applied twice or skipped.",
        "",
        "Recipe keys (set in --recipe FILE as key = value, or with --set key=value):"})
public final class LearnerCommand extends ServiceCommand {
  @Option(names = "--base", paramLabel = "DIR",
      description = "π_0: a model directory (config.json, model.safetensors, tokenizer.json), e.g. from "
          + "'alignstream pretrain'. Needed only when there is no checkpoint yet.")
  private Path base;

  @Option(names = "--checkpoints", paramLabel = "DIR",
      description = "Where the learner's versioned checkpoints live. Default: .alignstream/runs/<run>/learner.")
  private Path checkpoints;

  @Mixin
  private RecipeOptions recipe = new RecipeOptions();

  @Option(names = "--min-demonstrations", paramLabel = "N", defaultValue = "1",
      description = "SFT waits until the run has at least N demonstrations. Default: ${DEFAULT-VALUE}.")
  private int minDemonstrations;

  @Option(names = "--demonstrations-wait", paramLabel = "DURATION", defaultValue = "5m",
      converter = DurationConverter.class,
      description = "How long SFT waits for them. Default: ${DEFAULT-VALUE}.")
  private Duration demonstrationsWait;

  @Option(names = "--batch-wait", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
      description = "A prompt's batch is emitted incomplete after this long without its K-th generation. "
          + "Default: ${DEFAULT-VALUE}.")
  private Duration batchWait;

  @Option(names = "--idle-flush", paramLabel = "DURATION", defaultValue = "20s", converter = DurationConverter.class,
      description = "Train on fewer than loop.prompts_per_update batches after this long without a new one; "
          + "0s never. Default: ${DEFAULT-VALUE}.")
  private Duration idleFlush;

  @Option(names = "--keep-checkpoints", paramLabel = "N", defaultValue = "3",
      description = "Checkpoints kept; older ones are deleted. Default: ${DEFAULT-VALUE}.")
  private int keep;

  private final LearnerService.Listener listener;

  public LearnerCommand() {
    this(LearnerService.Listener.NONE);
  }

  /** A command whose learner tells {@code listener} of its progress (a test's fault injection). */
  public LearnerCommand(LearnerService.Listener listener) {
    this.listener = listener;
  }

  /** The validated configuration these options describe. */
  LearnerConfig config() {
    Recipe recipe = this.recipe.load();
    Path ckpt = checkpoints != null ? checkpoints : runDir().resolve("learner");
    return new LearnerConfig(kafka.topics(), ckpt, base, recipe, minDemonstrations, demonstrationsWait, idleFlush, keep);
  }

  private Path runDir() {
    return Path.of(".alignstream", "runs", kafka.runId());
  }

  /** Adds the recipe keys and their defaults to the help text. */
  public static CommandLine withRecipeHelp(CommandLine cli) {
    var spec = cli.getCommandSpec();
    List<String> lines = new ArrayList<>(List.of(spec.usageMessage().description()));
    Recipe.keysWithDefaults().forEach((k, v) -> lines.add(String.format("    %-26s default %s", k, v)));
    spec.usageMessage().description(lines.toArray(String[]::new));
    return cli;
  }

  @Override
  protected Plan plan() {
    LearnerConfig config = config();
    return new Plan("learner", "learner", NativeArrays::liveInProcess, session -> open(session, config));
  }

  /** The batching topology and the learner: one service, closed learner first. */
  private Service open(RunSession session, LearnerConfig config) {
    BatchingService batcher = BatchingService.start(session.connection(), config.topics(),
        new BatchingConfig(config.recipe().samplesPerPrompt(), batchWait), runDir().resolve("batching-state"),
        Duration.ofMinutes(2));
    LearnerService learner;
    try {
      learner = LearnerService.create(session.connection(), config, listener);
    } catch (RuntimeException e) {
      batcher.close();
      throw e;
    }
    return new Service() {
      @Override
      public void run() {
        learner.run();
      }

      @Override
      public void close() throws InterruptedException {
        try {
          learner.close();
        } finally {
          batcher.close();
        }
      }
    };
  }
}
