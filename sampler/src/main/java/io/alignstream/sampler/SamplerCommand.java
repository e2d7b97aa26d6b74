package io.alignstream.sampler;

import io.alignstream.model.NativeArrays;
import io.alignstream.model.cli.SamplingOptions;
import io.alignstream.model.cli.ThreadsOption;
import io.alignstream.runtime.ReplicaOptions;
import io.alignstream.runtime.ServiceCommand;
import io.alignstream.schemas.ModelLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream sampler}: runs one sampler replica until Ctrl-C. Only wiring: the work is in {@link SamplerService}. */
@Command(name = "sampler",
    description = {
        "Answers every prompt of the run K times with the current policy and publishes each answer, with the "
            + "policy version and per-token log-probs of the weights that produced it, exactly once (Kafka transactions).",
        "",
        "Replicas of one model line share the prompts: start more processes with the same --run and --policy-name. "
            + "A 'base' or 'sft' line (Init-SFT reward-model recipe) reads the same prompts independently.",
        "",
        "Waits for the line's first weights and hot-swaps every new version. With pacing on, samples at most "
            + "--max-prompts-per-version prompts per version, then waits for the next."})
public final class SamplerCommand extends ServiceCommand {
  @Option(names = "--sampler-id", paramLabel = "ID", description = ReplicaOptions.ID_HELP)
  private String samplerId;

  @Mixin
  private ReplicaOptions replica = new ReplicaOptions();

  @Option(names = "--policy-name", paramLabel = "NAME", defaultValue = ModelLines.POLICY,
      description = "Model line to follow and stamp: policy, base or sft. Default: ${DEFAULT-VALUE}.")
  private String policyName;

  @Option(names = {"-k", "--samples-per-prompt"}, paramLabel = "K", defaultValue = "" + SamplerConfig.DEFAULT_SAMPLES_PER_PROMPT,
      description = "Responses per prompt. Default: ${DEFAULT-VALUE}.")
  private int samplesPerPrompt;

  @Option(names = "--prompts-per-batch", paramLabel = "N", defaultValue = "" + SamplerConfig.DEFAULT_PROMPTS_PER_BATCH,
      description = "Prompts generated together (one batch of N × K rows). Default: ${DEFAULT-VALUE}.")
  private int promptsPerBatch;

  @Option(names = "--include-greedy",
      description = "Make the first of each prompt's K responses the policy's greedy answer and sample the other K-1, "
          + "so the ranking sees what greedy decoding would say. Default: off.")
  private boolean includeGreedy;

  /** --temperature, --top-p, --top-k. */
  @Mixin
  private SamplingOptions sampling = new SamplingOptions(1.0, 0.95, 0);

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "32",
      description = "Most tokens per response; prompts that leave less room in the context are skipped. Default: ${DEFAULT-VALUE}.")
  private int maxNewTokens;

  @Option(names = "--seed", paramLabel = "SEED", defaultValue = "0",
      description = "Base seed; each batch's seed derives from it and its prompts, so a redo samples the same. Default: ${DEFAULT-VALUE}.")
  private long seed;

  @Option(names = "--max-prompts-per-version", paramLabel = "N",
      description = "Pacing: most prompts this replica samples at one policy version before pausing for a newer one; "
          + "0 = off. Default: " + SamplerConfig.DEFAULT_MAX_PROMPTS_PER_VERSION + " for the policy line, 0 for fixed lines.")
  private Integer maxPromptsPerVersion;

  @Option(names = "--max-lag", paramLabel = "VERSIONS", defaultValue = "" + SamplerConfig.DEFAULT_MAX_LAG,
      description = "Keep at most this many learner updates' worth of prompts sampled but not yet trained (all "
          + "replicas of the line together), so trained samples are at most about this many versions old; 0 = off. "
          + "Default: ${DEFAULT-VALUE}.")
  private int maxLag;

  /** --threads: 1 is faster when replicas share a machine. */
  @Mixin
  private ThreadsOption threads = new ThreadsOption();

  /** The validated configuration these options describe. */
  SamplerConfig config() {
    int pacing = maxPromptsPerVersion != null ? maxPromptsPerVersion : SamplerConfig.defaultMaxPromptsPerVersion(policyName);
    return new SamplerConfig(kafka.runId(), samplerId != null ? samplerId : SamplerConfig.defaultSamplerId(), policyName,
        samplesPerPrompt, promptsPerBatch, sampling.config(maxNewTokens), seed, pacing,
        maxLag, replica.weightsTimeout(), includeGreedy);
  }

  @Override
  protected Plan plan() {
    SamplerConfig config = config();
    threads.apply(); // before the first policy loads, when the PyTorch engine reads it
    return new Plan("sampler", config.samplerId(), NativeArrays::liveInProcess,
        session -> new SamplerService(config, session.connection()));
  }
}
