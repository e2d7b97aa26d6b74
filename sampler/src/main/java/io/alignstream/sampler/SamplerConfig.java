package io.alignstream.sampler;

import io.alignstream.model.SamplingConfig;
import io.alignstream.runtime.ReplicaId;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything one sampler replica needs, validated on construction; each error names the option to fix.
 *
 * @param runId run whose topics to use ({@code alignstream.<runId>.*})
 * @param samplerId this replica's id: stamped on every generation, used as metrics source and in the
 *     transactional id. Give a replica the same id when it restarts (e.g. a pod ordinal): the new
 *     instance then fences its predecessor and aborts its open transaction at once, instead of readers
 *     waiting up to the transaction time-out. Two live replicas must never share an id.
 * @param policyName model line to follow and stamp: {@code policy} (being trained), {@code base} or
 *     {@code sft} (fixed lines of the Init-SFT reward-model recipe)
 * @param samplesPerPrompt K responses per prompt
 * @param promptsPerBatch prompts generated together, as one batch of promptsPerBatch × K rows
 * @param sampling temperature, top-p, top-k and max new tokens of every response
 * @param seed base seed; a prompt batch's seed derives from it and the prompts' (id, round)
 * @param maxPromptsPerVersion pacing: most prompts this replica samples at one policy version before it
 *     waits for a newer one; 0 turns pacing off (fixed lines never get a new version)
 * @param maxLag the line's samplers together keep at most maxLag learner updates' worth of prompts
 *     sampled but not yet trained ({@link InFlightGate}), so trained samples are at most about maxLag
 *     versions old; 0 turns it off
 * @param weightsTimeout how long start-up waits for the first weights of the model line
 * @param includeGreedy the first of each prompt's K responses is the policy's greedy answer, the other
 *     K−1 sampled: the ranking then sees the answer greedy decoding would give, and can keep it or
 *     replace it (so training moves the policy's mode, not only its samples)
 */
public record SamplerConfig(
    String runId,
    String samplerId,
    String policyName,
    int samplesPerPrompt,
    int promptsPerBatch,
    SamplingConfig sampling,
    long seed,
    int maxPromptsPerVersion,
    int maxLag,
    Duration weightsTimeout,
    boolean includeGreedy) {

  public static final int DEFAULT_SAMPLES_PER_PROMPT = 4;
  public static final int DEFAULT_PROMPTS_PER_BATCH = 8;
  public static final int DEFAULT_MAX_PROMPTS_PER_VERSION = 64;
  public static final int DEFAULT_MAX_LAG = 2;
  /** AfD's sampling settings (temperature 1, top-p 0.95, no top-k), with 32 instead of 256 new tokens. */
  public static final SamplingConfig DEFAULT_SAMPLING = new SamplingConfig(1.0, 0.95, 0, 32, true);
  public static final Duration DEFAULT_WEIGHTS_TIMEOUT = Duration.ofMinutes(5);
  /** Largest generate batch (prompts × K rows) accepted: beyond it one call needs too much memory. */
  public static final int MAX_ROWS = 4096;


  public SamplerConfig {
    Topics.forRun(runId); // validates the run id with its own message
    require(ReplicaId.valid(samplerId), "sampler id '" + samplerId + "' " + ReplicaId.RULE + " (--sampler-id)");
    require(ReplicaId.valid(policyName),
        "policy name '" + policyName + "' must be letters, digits, '.', '_' or '-', e.g. policy, base, sft (--policy-name)");
    require(samplesPerPrompt >= 1, "samples per prompt must be >= 1, got " + samplesPerPrompt + " (--samples-per-prompt)");
    require(promptsPerBatch >= 1, "prompts per batch must be >= 1, got " + promptsPerBatch + " (--prompts-per-batch)");
    require((long) promptsPerBatch * samplesPerPrompt <= MAX_ROWS, "prompts per batch × samples per prompt = "
        + (long) promptsPerBatch * samplesPerPrompt + " rows; at most " + MAX_ROWS + " generate together");
    Objects.requireNonNull(sampling, "sampling");
    require(!includeGreedy || samplesPerPrompt >= 2,
        "a greedy answer among the samples needs at least 2 samples per prompt, got " + samplesPerPrompt + " (--include-greedy)");
    require(maxPromptsPerVersion >= 0,
        "max prompts per version must be >= 0 (0 = no pacing), got " + maxPromptsPerVersion + " (--max-prompts-per-version)");
    require(maxLag >= 0, "max lag must be >= 0 (0 = off), got " + maxLag + " (--max-lag)");
    require(weightsTimeout != null && !weightsTimeout.isNegative() && !weightsTimeout.isZero(),
        "weights timeout must be positive, got " + weightsTimeout + " (--weights-timeout)");
  }

  /** Defaults for {@code runId}; change fields with the {@code with*} methods. */
  public static SamplerConfig defaults(String runId) {
    return new SamplerConfig(runId, defaultSamplerId(), ModelLines.POLICY, DEFAULT_SAMPLES_PER_PROMPT,
        DEFAULT_PROMPTS_PER_BATCH, DEFAULT_SAMPLING, 0L, DEFAULT_MAX_PROMPTS_PER_VERSION, DEFAULT_MAX_LAG, DEFAULT_WEIGHTS_TIMEOUT,
        false);
  }

  /**
   * The pacing default for a model line: {@value #DEFAULT_MAX_PROMPTS_PER_VERSION} for the trained
   * line, off for fixed lines, which would otherwise stop for good after their first budget.
   */
  public static int defaultMaxPromptsPerVersion(String policyName) {
    return ModelLines.POLICY.equals(policyName) ? DEFAULT_MAX_PROMPTS_PER_VERSION : 0;
  }

  /** {@code <hostname>-<pid>}: unique among live processes, but new on every restart. */
  public static String defaultSamplerId() {
    return ReplicaId.of("sampler");
  }

  public Topics topics() {
    return Topics.forRun(runId);
  }

  /** Consumer group of this model line's samplers: replicas share prompts; other lines read them independently. */
  public String groupId() {
    return "alignstream." + runId + ".sampler." + policyName;
  }

  /** One per replica, stable across its restarts when {@link #samplerId} is. */
  public String transactionalId() {
    return groupId() + "." + samplerId;
  }

  /** Rows of one generate call. */
  public int rowsPerBatch() {
    return promptsPerBatch * samplesPerPrompt;
  }

  public boolean paced() {
    return maxPromptsPerVersion > 0;
  }

  public SamplerConfig withSamplerId(String v) {
    return new SamplerConfig(runId, v, policyName, samplesPerPrompt, promptsPerBatch, sampling, seed, maxPromptsPerVersion, maxLag, weightsTimeout, includeGreedy);
  }

  /** Also switches pacing to the line's default ({@link #defaultMaxPromptsPerVersion}). */
  public SamplerConfig withPolicyName(String v) {
    return new SamplerConfig(runId, samplerId, v, samplesPerPrompt, promptsPerBatch, sampling, seed,
        defaultMaxPromptsPerVersion(v), maxLag, weightsTimeout, includeGreedy);
  }

  public SamplerConfig withSamplesPerPrompt(int v) {
    return new SamplerConfig(runId, samplerId, policyName, v, promptsPerBatch, sampling, seed, maxPromptsPerVersion, maxLag, weightsTimeout, includeGreedy);
  }

  public SamplerConfig withPromptsPerBatch(int v) {
    return new SamplerConfig(runId, samplerId, policyName, samplesPerPrompt, v, sampling, seed, maxPromptsPerVersion, maxLag, weightsTimeout, includeGreedy);
  }

  public SamplerConfig withSampling(SamplingConfig v) {
    return new SamplerConfig(runId, samplerId, policyName, samplesPerPrompt, promptsPerBatch, v, seed, maxPromptsPerVersion, maxLag, weightsTimeout, includeGreedy);
  }

  public SamplerConfig withSeed(long v) {
    return new SamplerConfig(runId, samplerId, policyName, samplesPerPrompt, promptsPerBatch, sampling, v, maxPromptsPerVersion, maxLag, weightsTimeout, includeGreedy);
  }

  public SamplerConfig withMaxPromptsPerVersion(int v) {
    return new SamplerConfig(runId, samplerId, policyName, samplesPerPrompt, promptsPerBatch, sampling, seed, v, maxLag, weightsTimeout, includeGreedy);
  }

  public SamplerConfig withMaxLag(int v) {
    return new SamplerConfig(runId, samplerId, policyName, samplesPerPrompt, promptsPerBatch, sampling, seed,
        maxPromptsPerVersion, v, weightsTimeout, includeGreedy);
  }

  public SamplerConfig withWeightsTimeout(Duration v) {
    return new SamplerConfig(runId, samplerId, policyName, samplesPerPrompt, promptsPerBatch, sampling, seed, maxPromptsPerVersion, maxLag, v, includeGreedy);
  }

  public SamplerConfig withIncludeGreedy(boolean v) {
    return new SamplerConfig(runId, samplerId, policyName, samplesPerPrompt, promptsPerBatch, sampling, seed,
        maxPromptsPerVersion, maxLag, weightsTimeout, v);
  }

  /** How row {@code i} of a prompt's K rows is decoded. */
  public SamplingConfig samplingOf(int i) {
    return includeGreedy && i == 0 ? new SamplingConfig(0.0, 1.0, 0, sampling.maxNewTokens(), sampling.stopAtEos()) : sampling;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("SamplerConfig: " + message);
    }
  }
}
