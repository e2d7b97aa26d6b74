package io.alignstream.sampler;

/**
 * Pacing: how many more prompts a replica may sample at the current policy version.
 *
 * <p>Why: in an asynchronous pipeline a fast sampler would otherwise run far ahead of the learner,
 * and the learner would train on samples from ever older policies (docs/ALGORITHMS.md §3). Instead of
 * dropping stale samples (which starves slow prompts), each replica samples at most
 * {@code maxPromptsPerVersion} prompts per version and then waits for a newer one. Note that with R
 * replicas and a learner that trains U prompts per version, a budget with R × maxPromptsPerVersion > U
 * lets the backlog (and the lag) grow by the difference every version: the lag itself is bounded by
 * {@link InFlightGate}, which the service applies too; this budget only caps a replica's burst.
 *
 * <p>Counts only committed batches, on the version that actually generated them. Not thread-safe:
 * used by the sampler's loop thread only. Pure logic, no clock.
 */
final class Pacer {
  private final int maxPromptsPerVersion; // 0 = unlimited
  private long version = -1;
  private long used;

  /** @param maxPromptsPerVersion budget per version; 0 turns pacing off */
  Pacer(int maxPromptsPerVersion) {
    if (maxPromptsPerVersion < 0) {
      throw new IllegalArgumentException("maxPromptsPerVersion must be >= 0 (0 = off), got " + maxPromptsPerVersion);
    }
    this.maxPromptsPerVersion = maxPromptsPerVersion;
  }

  /**
   * Prompts that may still be sampled at {@code currentVersion}: {@link Integer#MAX_VALUE} when pacing
   * is off, 0 when the budget is spent (pause until a newer version), the full budget for a version
   * not seen before.
   */
  int remaining(long currentVersion) {
    if (maxPromptsPerVersion == 0) {
      return Integer.MAX_VALUE;
    }
    if (currentVersion > version) {
      return maxPromptsPerVersion;
    }
    return (int) Math.max(0, maxPromptsPerVersion - used);
  }

  /** Records {@code prompts} sampled (and committed) at {@code version}; older versions no longer count. */
  void record(long version, int prompts) {
    if (version > this.version) {
      this.version = version;
      this.used = 0;
    }
    if (version == this.version) {
      used += prompts;
    }
  }

  /** The version whose budget is being used, or -1. */
  long version() {
    return version;
  }

  /** Prompts sampled at {@link #version()}. */
  long used() {
    return used;
  }
}
