package io.alignstream.rewarder;

import io.alignstream.model.RewardHeads;
import io.alignstream.model.RewardModel;
import io.alignstream.model.RewardScorer;
import io.alignstream.model.SharedBackboneEnsemble;
import io.alignstream.runtime.OneBase;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.schemas.ModelLines;

/**
 * The rewarder's frozen-backbone serving: π_0 (the learner's {@code base} line) loaded once as the one
 * backbone, and every version of heads ({@link PublishedWeights#HEADS}) an ensemble over it
 * ({@link SharedBackboneEnsemble}): a swap costs K × (width + 1) floats, and scoring runs the backbone once
 * per batch whatever K is.
 */
final class SharedBackbone {
  private SharedBackbone() {}

  static OneBase<RewardModel, RewardScorer> serving() {
    return new OneBase<>(ModelLines.BASE, PublishedWeights.HEADS, RewardModel::backboneOf, SharedBackbone::over);
  }

  /** @throws IllegalArgumentException when the heads do not decode, or not to their config and the backbone's width */
  private static RewardScorer over(RewardModel backbone, String headsConfigJson, byte[] heads, long version) {
    RewardHeads.Config config = RewardHeads.Config.fromJson(headsConfigJson);
    int width = backbone.config().width();
    if (config.width() != width) {
      throw new IllegalArgumentException("v" + version + " has heads of width " + config.width()
          + " for a backbone of width " + width + "; its base is another model");
    }
    return new SharedBackboneEnsemble(backbone, RewardHeads.fromBytes(heads, config));
  }
}
