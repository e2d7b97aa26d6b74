package io.alignstream.rewarder;

import io.alignstream.runtime.ReplicaId;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything one rewarder replica needs, validated on construction; each error names the option to fix.
 *
 * @param runId run whose topics to use ({@code alignstream.<runId>.*})
 * @param rewarderId this replica's id: metrics source and part of the transactional id. Give a replica
 *     the same id when it restarts (e.g. a pod ordinal) so the new instance fences its predecessor and
 *     aborts its open transaction at once. Two live replicas must never share an id.
 * @param maxBatch micro-batch: most records scored together by one ensemble call, at one version
 * @param weightsTimeout how long start-up waits for the first version of the reward model
 * @param device where to score: the engine's choice, or CPU/GPU forced (see {@link ScoringDevice})
 */
public record RewarderConfig(
    String runId,
    String rewarderId,
    int maxBatch,
    Duration weightsTimeout,
    ScoringDevice device) {

  public static final int DEFAULT_MAX_BATCH = 64;
  public static final Duration DEFAULT_WEIGHTS_TIMEOUT = Duration.ofMinutes(5);
  /** Largest micro-batch accepted: beyond it one scoring call needs too much memory. */
  public static final int MAX_BATCH = 4096;


  public RewarderConfig {
    Topics.forRun(runId); // validates the run id with its own message
    require(ReplicaId.valid(rewarderId), "rewarder id '" + rewarderId + "' " + ReplicaId.RULE + " (--rewarder-id)");
    require(maxBatch >= 1 && maxBatch <= MAX_BATCH,
        "max batch must be in [1, " + MAX_BATCH + "], got " + maxBatch + " (--max-batch)");
    require(weightsTimeout != null && !weightsTimeout.isNegative() && !weightsTimeout.isZero(),
        "weights timeout must be positive, got " + weightsTimeout + " (--weights-timeout)");
    Objects.requireNonNull(device, "RewarderConfig: device (--device auto|cpu|gpu)");
  }

  /** Defaults for {@code runId}; change fields with the {@code with*} methods. */
  public static RewarderConfig defaults(String runId) {
    return new RewarderConfig(runId, defaultRewarderId(), DEFAULT_MAX_BATCH, DEFAULT_WEIGHTS_TIMEOUT, ScoringDevice.AUTO);
  }

  /** {@code <hostname>-<pid>}: unique among live processes, but new on every restart. */
  public static String defaultRewarderId() {
    return ReplicaId.of("rewarder");
  }

  public Topics topics() {
    return Topics.forRun(runId);
  }

  /** The run's one rewarder group: replicas split the demonstration and generation partitions. */
  public String groupId() {
    return "alignstream." + runId + ".rewarder";
  }

  /** One per replica, stable across its restarts when {@link #rewarderId} is. */
  public String transactionalId() {
    return groupId() + "." + rewarderId;
  }

  public RewarderConfig withRewarderId(String v) {
    return new RewarderConfig(runId, v, maxBatch, weightsTimeout, device);
  }

  public RewarderConfig withMaxBatch(int v) {
    return new RewarderConfig(runId, rewarderId, v, weightsTimeout, device);
  }

  public RewarderConfig withWeightsTimeout(Duration v) {
    return new RewarderConfig(runId, rewarderId, maxBatch, v, device);
  }

  public RewarderConfig withDevice(ScoringDevice v) {
    return new RewarderConfig(runId, rewarderId, maxBatch, weightsTimeout, v);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("RewarderConfig: " + message);
    }
  }
}
