package io.alignstream.learner;

import java.time.Duration;

/**
 * How scored samples are grouped into training batches.
 *
 * @param samplesPerPrompt K: generations per (prompt, round, policy line) that make a batch complete
 * @param maxWait how long a group may wait for its K-th generation before it is emitted incomplete
 */
public record BatchingConfig(int samplesPerPrompt, Duration maxWait) {
  public BatchingConfig {
    if (samplesPerPrompt < 1) {
      throw new IllegalArgumentException("samplesPerPrompt must be at least 1, got " + samplesPerPrompt);
    }
    if (maxWait == null || maxWait.isNegative() || maxWait.isZero()) {
      throw new IllegalArgumentException("maxWait must be positive, got " + maxWait);
    }
  }
}
