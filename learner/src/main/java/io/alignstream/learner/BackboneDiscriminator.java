package io.alignstream.learner;

import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.DiscriminatorConfig.Source;
import io.alignstream.model.Example;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardTrainer;
import io.alignstream.model.StepStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The reward model as the AfD paper trains it ({@code reward.backbone=trained}): an ensemble of
 * discriminators, each fine-tuning its whole backbone with its own optimiser, that learns to tell the
 * recipe's positives (the demonstrations, say) from its negatives (the policy's samples). From a few
 * dozen demonstrations it memorises them and calls every new response fake (its loss stays at chance
 * in the loop); {@link FrozenHeadDiscriminator} is the default.
 */
final class BackboneDiscriminator implements Discriminator {
  private static final double HEAD_STD = 0.02;

  private final Recipe recipe;
  private final RewardEnsemble ensemble;
  private final List<RewardTrainer> trainers = new ArrayList<>();

  private BackboneDiscriminator(Recipe recipe, RewardEnsemble ensemble, List<AdamW> optimizers) {
    this.recipe = recipe;
    this.ensemble = ensemble;
    for (int k = 0; k < ensemble.size(); k++) {
      trainers.add(new RewardTrainer(ensemble.members().get(k), optimizers.get(k)));
    }
  }

  /** A fresh ensemble initialised from {@code policy} (a reward model initialised from the policy is far more label-efficient). */
  static BackboneDiscriminator fromPolicy(Policy policy, Recipe recipe) {
    RewardEnsemble ensemble = RewardEnsemble.fromPolicy(policy, recipe.rewardMembers(), recipe.seed(), HEAD_STD);
    List<AdamW> optimizers = new ArrayList<>();
    for (int k = 0; k < ensemble.size(); k++) {
      optimizers.add(new AdamW(AdamWConfig.defaults(), LrSchedule.constant(recipe.rewardLr())));
    }
    return new BackboneDiscriminator(recipe, ensemble, optimizers);
  }

  /** The discriminator a learner checkpoint holds ({@link #save}). */
  static BackboneDiscriminator load(Path checkpoint, Recipe recipe) throws IOException {
    RewardEnsemble ensemble = RewardEnsemble.load(checkpoint.resolve(LearnerCheckpoint.REWARD), recipe.seed());
    List<AdamW> optimizers = new ArrayList<>();
    for (int k = 0; k < ensemble.size(); k++) {
      optimizers.add(AdamW.load(checkpoint.resolve(optimizerDir(k))));
    }
    return new BackboneDiscriminator(recipe, ensemble, optimizers);
  }

  /** Writes the ensemble and its optimisers into a learner checkpoint directory. */
  @Override
  public void save(Path checkpoint) throws IOException {
    ensemble.save(checkpoint.resolve(LearnerCheckpoint.REWARD));
    for (int k = 0; k < trainers.size(); k++) {
      trainers.get(k).optimizer().save(Files.createDirectories(checkpoint.resolve(optimizerDir(k))));
    }
  }

  private static String optimizerDir(int member) {
    return "reward-optimizer-" + member;
  }

  @Override
  public RewardEnsemble ensemble() {
    return ensemble;
  }

  @Override
  public RewardEnsemble.Scores score(List<Example> examples) {
    return ensemble.score(examples);
  }

  /**
   * {@code reward.steps_per_update} steps on the pool's positives against its negatives; puts the
   * mean loss in {@code m} as {@code reward.loss}. Each member sees its own bootstrap resample, so the
   * ensemble's spread means something.
   */
  @Override
  public void train(SamplePool pool, Random random, Map<String, Double> m) {
    Source positive = recipe.discriminator().positive();
    Source negative = recipe.discriminator().negative();
    double loss = 0;
    int steps = 0;
    for (int step = 0; step < recipe.rewardStepsPerUpdate(); step++) {
      int n = Math.max(8, Math.min(64, Math.min(pool.size(positive), pool.size(negative))));
      List<Example> pos = pool.draw(positive, n, random);
      List<Example> neg = pool.draw(negative, n, random);
      if (pos.isEmpty() || neg.isEmpty()) {
        break;
      }
      for (RewardTrainer t : trainers) {
        StepStats s = t.discriminatorStep(Example.resample(pos, random::nextInt), Example.resample(neg, random::nextInt));
        loss += s.loss();
        steps++;
      }
    }
    if (steps > 0) {
      m.put("reward.loss", loss / steps);
    }
  }

  /**
   * Puts the ensemble mean's classification accuracy on the held-out positives (r > 0) and negatives
   * (r < 0) in {@code m}, and the margin between their mean rewards; nothing while either is empty.
   */
  @Override
  public void measure(SamplePool holdout, Map<String, Double> m) {
    List<Example> pos = holdout.all(recipe.discriminator().positive());
    List<Example> neg = holdout.all(recipe.discriminator().negative());
    if (pos.isEmpty() || neg.isEmpty()) {
      return;
    }
    double[] rp = ensemble.score(pos).mean();
    double[] rn = ensemble.score(neg).mean();
    int right = 0;
    for (double r : rp) {
      right += r > 0 ? 1 : 0;
    }
    for (double r : rn) {
      right += r < 0 ? 1 : 0;
    }
    m.put("reward.accuracy", (double) right / (rp.length + rn.length));
    m.put("reward.holdout_margin", Learner.mean(i -> rp[i], rp.length) - Learner.mean(i -> rn[i], rn.length));
  }

  @Override
  public void close() {
    trainers.forEach(RewardTrainer::close);
    ensemble.close();
  }
}
