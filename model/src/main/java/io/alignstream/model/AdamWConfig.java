package io.alignstream.model;

/**
 * AdamW with decoupled weight decay and global-norm clipping.
 *
 * @param beta1 first-moment decay in [0, 1)
 * @param beta2 second-moment decay in [0, 1)
 * @param eps denominator guard, > 0
 * @param weightDecay decoupled decay applied to matrices and embeddings (not biases or norm gains), >= 0
 * @param maxGradNorm clip the global gradient norm to this; 0 turns clipping off
 */
public record AdamWConfig(double beta1, double beta2, double eps, double weightDecay, double maxGradNorm) {
  public AdamWConfig {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("AdamWConfig: beta1 and beta2 must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(eps > 0)) {
      throw new IllegalArgumentException("AdamWConfig: eps must be > 0, got " + eps);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("AdamWConfig: weightDecay must be >= 0, got " + weightDecay);
    }
    if (!(maxGradNorm >= 0)) {
      throw new IllegalArgumentException("AdamWConfig: maxGradNorm must be >= 0 (0 = off), got " + maxGradNorm);
    }
  }

  /** beta (0.9, 0.95), eps 1e-8, weight decay 0.01, clip 1.0. */
  public static AdamWConfig defaults() {
    return new AdamWConfig(0.9, 0.95, 1e-8, 0.01, 1.0);
  }
}
