package io.alignstream.model;

/**
 * Which responses a discriminator reward model learns to call positive (expert-like) and negative
 * (policy-like). The AfD paper's pairings are presets; the continuous form trains against the
 * current policy's samples round after round.
 *
 * @param positive where positives come from
 * @param negative where negatives come from; must differ from {@code positive}
 */
public record DiscriminatorConfig(Source positive, Source negative) {
  /** A population of responses. */
  public enum Source {
    /** Samples of the initial (pretrained) policy pi_0. */
    INIT_SAMPLES,
    /** Samples of the supervised fine-tuned policy pi_SFT. */
    SFT_SAMPLES,
    /** The expert demonstrations themselves. */
    DEMONSTRATIONS,
    /** Samples of the policy currently being aligned (refreshed as it trains). */
    CURRENT_POLICY_SAMPLES
  }

  public DiscriminatorConfig {
    if (positive == null || negative == null) {
      throw new IllegalArgumentException("DiscriminatorConfig: positive and negative sources are required");
    }
    if (positive == negative) {
      throw new IllegalArgumentException("DiscriminatorConfig: positive and negative sources must differ (both "
          + positive + ")");
    }
  }

  /** Init-SFT (recommended): negatives pi_0 samples, positives pi_SFT samples; learns behaviour, not style. */
  public static DiscriminatorConfig initSft() {
    return new DiscriminatorConfig(Source.SFT_SAMPLES, Source.INIT_SAMPLES);
  }

  /** Init-Demo: negatives pi_0 samples, positives demonstrations (prone to style hacking). */
  public static DiscriminatorConfig initDemo() {
    return new DiscriminatorConfig(Source.DEMONSTRATIONS, Source.INIT_SAMPLES);
  }

  /** SFT-Demo: negatives pi_SFT samples, positives demonstrations. */
  public static DiscriminatorConfig sftDemo() {
    return new DiscriminatorConfig(Source.DEMONSTRATIONS, Source.SFT_SAMPLES);
  }

  /** Continuous adversarial form: demonstrations against the current policy's samples. */
  public static DiscriminatorConfig demonstrationsVsCurrentPolicy() {
    return new DiscriminatorConfig(Source.DEMONSTRATIONS, Source.CURRENT_POLICY_SAMPLES);
  }
}
