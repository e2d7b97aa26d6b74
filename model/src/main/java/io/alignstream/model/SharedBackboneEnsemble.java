package io.alignstream.model;

import java.util.List;

/**
 * A frozen-backbone reward ensemble as K heads over one backbone: each batch's features are computed
 * once and each member costs a dot product, where a {@link RewardEnsemble} of K whole models runs the
 * backbone K times and holds it K times. Scores as for the whole ensemble with the same weights, to float
 * precision. It does not own the backbone, which many versions share: closing it leaves the backbone open.
 * Thread-safety as for {@link RewardModel#features}.
 */
public final class SharedBackboneEnsemble implements RewardScorer {
  private final RewardModel backbone;
  private final RewardHeads heads;

  /** @throws IllegalArgumentException when the heads are not as wide as the backbone's features */
  public SharedBackboneEnsemble(RewardModel backbone, RewardHeads heads) {
    if (heads.config().width() != backbone.config().width()) {
      throw new IllegalArgumentException("reward heads of width " + heads.config().width() + " for a backbone of width "
          + backbone.config().width());
    }
    this.backbone = backbone;
    this.heads = heads;
  }

  @Override
  public RewardEnsemble.Scores score(List<Example> examples) {
    return heads.score(backbone.features(examples));
  }

  @Override
  public int size() {
    return heads.config().members();
  }

  /** Nothing to free: the heads are on the heap and the backbone is its owner's. */
  @Override
  public void close() {}
}
