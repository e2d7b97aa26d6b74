package io.alignstream.sampler;

import io.alignstream.schemas.ModelLines;
import java.util.Map;

/**
 * Bounds how far the samplers of a line run ahead of the learner, in versions.
 *
 * <p>Why a per-version budget alone cannot: if the replicas together sample more prompts per version
 * than the learner trains per update (U), the backlog, and with it the lag of trained samples, grows
 * by the difference every version, without bound. What bounds the lag is the number of prompts
 * sampled but not yet trained: with at most {@code maxLag × U} of them in flight, a sample is trained
 * at most about {@code maxLag} versions after the one that generated it. Replicas decide without
 * coordinating, so each may start one more batch while the count is below the bound: the lag of a
 * trained sample stays within {@code maxLag + R × promptsPerBatch / U + 1} (the +1 is the update that
 * trains it). Choose promptsPerBatch ≤ U / R to keep that close to maxLag.
 *
 * <p>In flight = prompts the line's consumer group has sampled (the record counts committed with its
 * offsets, all replicas: {@code CommittedRecords}) minus the batches the learner has consumed (advertised in every policy manifest, with U). A line
 * whose manifests do not advertise them (a frozen base or SFT line) is not gated. Pure logic.
 */
final class InFlightGate {
  private final int maxLag; // 0 = off

  /** @param maxLag versions a trained sample may be behind; 0 turns the gate off */
  InFlightGate(int maxLag) {
    if (maxLag < 0) {
      throw new IllegalArgumentException("maxLag must be >= 0 (0 = off), got " + maxLag);
    }
    this.maxLag = maxLag;
  }

  boolean enabled() {
    return maxLag > 0;
  }

  /**
   * Prompts that may still be sampled now.
   *
   * @param sampled prompts the line has sampled so far (all replicas, committed)
   * @param manifest metadata of the newest policy manifest
   */
  long remaining(long sampled, Map<String, String> manifest) {
    if (maxLag == 0 || manifest == null || !manifest.containsKey(ModelLines.BATCHES_CONSUMED)
        || !manifest.containsKey(ModelLines.PROMPTS_PER_UPDATE)) {
      return Long.MAX_VALUE;
    }
    long consumed = Long.parseLong(manifest.get(ModelLines.BATCHES_CONSUMED));
    long perUpdate = Long.parseLong(manifest.get(ModelLines.PROMPTS_PER_UPDATE));
    return Math.max(0, maxLag * perUpdate - Math.max(0, sampled - consumed));
  }
}
