package io.alignstream.model;

/**
 * A direct preference objective against a reference supplied with the data (BPO: the behaviour
 * policy that generated the pair).
 *
 * @param loss DPO, IPO or SLiC
 * @param beta strength, > 0 (0.1 in the BPO paper)
 */
public record PreferenceConfig(Objectives.PreferenceLoss loss, double beta) {
  public PreferenceConfig {
    if (loss == null) {
      throw new IllegalArgumentException("PreferenceConfig: loss is required (DPO, IPO or SLIC)");
    }
    if (!(beta > 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException("PreferenceConfig: beta must be a positive number, got " + beta);
    }
  }

  public static PreferenceConfig dpo(double beta) {
    return new PreferenceConfig(Objectives.PreferenceLoss.DPO, beta);
  }
}
