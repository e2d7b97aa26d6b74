package io.alignstream.schemas;

/**
 * Names of the model lines the learner publishes (the {@code ModelVersion.modelName} key, and the
 * {@code policyName} of the generations each line produces).
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

  private ModelLines() {}
}
