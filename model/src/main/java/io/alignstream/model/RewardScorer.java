package io.alignstream.model;

import java.util.List;

/**
 * A reward ensemble as a scorer sees it: every member's reward of a batch, with their mean and spread.
 * Either K whole reward models ({@link RewardEnsemble}) or K heads over one shared backbone
 * ({@link SharedBackboneEnsemble}); the two give the same scores for the same weights.
 */
public interface RewardScorer extends AutoCloseable {
  /** Every member's reward of every example, in order. */
  RewardEnsemble.Scores score(List<Example> examples);

  /** K, the number of members. */
  int size();

  @Override
  void close();
}
