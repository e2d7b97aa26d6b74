package io.alignstream.schemas;

/**
 * Names of the model lines the learner publishes (the {@code ModelVersion.modelName} key, and the
 * {@code policyName} of the generations each line produces), and the metadata keys of their manifests.
 */
public final class ModelLines {
  /** The policy being aligned; a new version after every learner update. */
  public static final String POLICY = "policy";
  /** The discriminator reward-model ensemble; versioned with the policy. */
  public static final String REWARD = "reward";
  /** π_0, frozen: its samples are the negatives of the Init-SFT and Init-Demo reward models. */
  public static final String BASE = "base";
  /** π_SFT, frozen after the SFT stage: the positives of Init-SFT, the negatives of SFT-Demo. */
  public static final String SFT = "sft";

  /**
   * Policy-manifest metadata: training batch records (prompt groups) the learner had consumed, a count
   * of records, which the samplers' in-flight gate compares with the prompt records they sampled.
   */
  public static final String BATCHES_CONSUMED = "batches_consumed";
  /**
   * Policy-manifest metadata: the batches partition's offset the learner had consumed up to. Not a count
   * (transaction markers take offsets); it says exactly which batches each version trained.
   */
  public static final String BATCHES_OFFSET = "batches_offset";
  /** Policy-manifest metadata: batches per learner update (the recipe's loop.prompts_per_update). */
  public static final String PROMPTS_PER_UPDATE = "prompts_per_update";

  private ModelLines() {}
}
