package io.alignstream.learner;

import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The learner's reward model: an ensemble that learns to tell the expert's responses from the
 * policy's, trained, measured, scored and checkpointed through these methods only. Its members are
 * {@link io.alignstream.model.RewardModel}s, so the rewarder scores any kind the same way.
 */
interface Discriminator extends AutoCloseable {
  /** The ensemble the rewarder receives. */
  RewardEnsemble ensemble();

  RewardEnsemble.Scores score(List<Example> examples);

  /** One update's training on the pool; puts its figures ({@code reward.*}) in {@code m}. */
  void train(SamplePool pool, Random random, Map<String, Double> m);

  /** How well it tells held-out demonstrations from samples ({@code reward.*} in {@code m}). */
  void measure(SamplePool holdout, Map<String, Double> m);

  /** Writes its state into a learner checkpoint directory. */
  void save(Path checkpoint) throws IOException;

  @Override
  void close();

  /**
   * The recipe's kind of reward model, fresh at the start of the loop.
   *
   * @param base π_0, whose features a frozen backbone reads
   * @param sft π_SFT, the trained backbone's starting point
   * @param demonstrations every demonstration, in the order SFT received them
   */
  static Discriminator start(Recipe recipe, Policy base, Policy sft, List<Example> demonstrations) {
    return recipe.rewardBackbone() == Recipe.RewardBackbone.FROZEN
        ? FrozenHeadDiscriminator.start(recipe, base, demonstrations)
        : BackboneDiscriminator.fromPolicy(sft, recipe);
  }

  /** The reward model a learner checkpoint holds. */
  static Discriminator load(Path checkpoint, Recipe recipe) throws IOException {
    return recipe.rewardBackbone() == Recipe.RewardBackbone.FROZEN
        ? FrozenHeadDiscriminator.load(checkpoint, recipe)
        : BackboneDiscriminator.load(checkpoint, recipe);
  }
}
