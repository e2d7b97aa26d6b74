package io.alignstream.learner;

import io.alignstream.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The learner service's settings.
 *
 * @param topics the run's topics
 * @param checkpoints where versioned learner checkpoints live (resume point)
 * @param baseModel π_0's model directory (config.json, model.safetensors, tokenizer.json); needed
 *     only when there is no checkpoint yet
 * @param recipe what to train and how
 * @param minDemonstrations SFT waits until at least this many demonstrations are in the run
 * @param demonstrationsWait how long SFT waits for them before failing
 * @param idleFlush train on a partial group of batches after this long without a new one (so the
 *     tail of a run is not left untrained); zero disables it
 * @param checkpointsKept how many checkpoints to keep (older ones are deleted)
 */
public record LearnerConfig(Topics topics, Path checkpoints, Path baseModel, Recipe recipe, int minDemonstrations,
    Duration demonstrationsWait, Duration idleFlush, int checkpointsKept) {
  public LearnerConfig {
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(checkpoints, "checkpoints");
    Objects.requireNonNull(recipe, "recipe");
    if (minDemonstrations < 1) {
      throw new IllegalArgumentException("minDemonstrations must be at least 1, got " + minDemonstrations);
    }
    if (demonstrationsWait.isNegative() || idleFlush.isNegative()) {
      throw new IllegalArgumentException("waits must not be negative");
    }
    if (checkpointsKept < 1) {
      throw new IllegalArgumentException("checkpointsKept must be at least 1, got " + checkpointsKept);
    }
  }

  /** Consumer group whose committed offsets on the batches topic say what was published. */
  public String groupId() {
    return "alignstream." + topics.runId() + ".learner";
  }

  /** The one transactional id of a run's learner: a restarted learner fences its predecessor. */
  public String transactionalId() {
    return "alignstream." + topics.runId() + ".learner";
  }
}
