package io.alignstream.learner;

import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardHeads;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.WeightPublisher;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a learner's reward ensemble travels on the {@code reward} line. Under {@code reward.backbone=frozen}
 * every member is π_0's backbone and a head, and only the heads change: each version is the K heads alone
 * ({@link PublishedWeights#HEADS}, {@link RewardHeads}: K × (width + 1) floats) over π_0 on the {@code base}
 * line, which the rewarder loads once. Under {@code trained} every version is the whole ensemble.
 */
public final class RewardLine {
  private RewardLine() {}

  /** Whether the learner's reward versions are heads over the base line rather than whole ensembles. */
  public static boolean headsOnly(Learner learner) {
    return learner.recipe().rewardBackbone() == Recipe.RewardBackbone.FROZEN;
  }

  /**
   * Publishes {@code learner}'s ensemble as version {@code v} of the reward line.
   *
   * @param whole the ensemble's {@code weightsToBytes()} (e.g. as its checkpoint holds them); unread, and may
   *     be null, when {@link #headsOnly}
   */
  public static ModelVersion publish(WeightPublisher publisher, Learner learner, long v, byte[] whole,
      String tokenizerJson) {
    RewardEnsemble reward = learner.reward();
    String configJson = reward.members().get(0).config().toJson();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("members", Integer.toString(reward.size()));
    if (!headsOnly(learner)) {
      return publisher.publish(ModelLines.REWARD, v, whole, configJson, tokenizerJson, learner.trainedSamples(), meta);
    }
    RewardHeads heads = RewardHeads.of(reward);
    meta.put(PublishedWeights.ADAPTER_CONFIG, heads.config().toJson());
    meta.put(PublishedWeights.ADAPTER_BASE, ModelLines.BASE);
    return publisher.publish(ModelLines.REWARD, v, PublishedWeights.HEADS, heads.toBytes(), configJson, tokenizerJson,
        learner.trainedSamples(), meta);
  }
}
