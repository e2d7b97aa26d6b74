package io.alignstream.learner;

import io.alignstream.model.DiscriminatorConfig.Source;
import io.alignstream.model.Example;
import io.alignstream.model.ModelConfig;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.TokenIds;
import io.alignstream.schemas.TrainingBatch;
import java.util.Optional;

/**
 * What the learner reads from a training batch: each scored sample as the model sees it, which
 * population it belongs to, whether its prompt is held out, and whether the batch can be trained on
 * at all.
 */
public final class TrainingInput {
  /** Responses of prompts whose id hashes to 0 mod this never train the reward model: they measure it. */
  static final int HOLDOUT_MODULUS = 10;

  private TrainingInput() {}

  /**
   * Why this batch cannot be trained on by a policy of {@code config}, or empty when it can: a sample
   * whose token ids the policy cannot take, a generation whose log-probs do not match its tokens, or a
   * reward that is not a number. Batching only ever emits what the rewarder scored, which checks the
   * same, so this catches records from other writers before they fail an update (and the learner
   * with it, on every restart).
   */
  public static Optional<String> unusable(TrainingBatch batch, ModelConfig config) {
    for (ScoredSample s : batch.getSamples()) {
      Optional<String> why = config.unfit(TokenIds.toArray(s.getPromptTokenIds()), TokenIds.toArray(s.getResponseTokenIds()));
      if (why.isEmpty() && s.getKind() == SampleKind.GENERATION
          && s.getLogProbs().size() != s.getResponseTokenIds().size()) {
        why = Optional.of(s.getLogProbs().size() + " log-probs for " + s.getResponseTokenIds().size()
            + " response tokens");
      }
      if (why.isEmpty() && (s.getRewards().isEmpty() || !Float.isFinite(s.getRewardMean())
          || s.getRewards().stream().anyMatch(r -> !Float.isFinite(r)))) {
        why = Optional.of("rewards " + s.getRewards() + ", mean " + s.getRewardMean() + ": not all finite numbers");
      }
      if (why.isPresent()) {
        return Optional.of("sample " + s.getId() + ": " + why.get());
      }
    }
    return Optional.empty();
  }

  /** Whether a prompt only measures the reward model (never trains it). */
  public static boolean heldOut(String promptId) {
    return Math.floorMod(promptId.hashCode(), HOLDOUT_MODULUS) == 0;
  }

  /** A scored sample as the model sees it. */
  static Example example(ScoredSample s) {
    return new Example(TokenIds.toArray(s.getPromptTokenIds()), TokenIds.toArray(s.getResponseTokenIds()));
  }

  /** log π_β(y|x) of a generation: the sum of the log-probs its sampler recorded. */
  static double behaviourLogProb(ScoredSample s) {
    double sum = 0;
    for (float lp : s.getLogProbs()) {
      sum += lp;
    }
    return sum;
  }

  /** The population a sample belongs to, by who produced it. */
  static Source sourceOf(ScoredSample s) {
    if (s.getKind() == SampleKind.DEMONSTRATION) {
      return Source.DEMONSTRATIONS;
    }
    return switch (s.getPolicyName()) {
      case ModelLines.BASE -> Source.INIT_SAMPLES;
      case ModelLines.SFT -> Source.SFT_SAMPLES;
      default -> Source.CURRENT_POLICY_SAMPLES;
    };
  }
}
