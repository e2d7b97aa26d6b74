package io.alignstream.learner;

import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.DiscriminatorConfig.Source;
import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.StepStats;
import io.alignstream.model.Tokenizer;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.TrainingBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.function.IntToDoubleFunction;

/**
 * The learner's training logic, with no Kafka in it: SFT on demonstrations, then per update the
 * reward model ({@link Discriminator}, AfD) and the policy ({@link PolicyStep}, per {@link Recipe}).
 * The service feeds it batches and publishes what it produces; tests call it directly.
 *
 * <p>Versions: 0 is π_0 as loaded, 1 is π_SFT, each {@link #update} adds one. Determinism: given
 * the same base weights, demonstrations and batches in the same order, the weights are
 * bit-identical (every random draw comes from {@code seed} and the update number). Not
 * thread-safe: one learner thread drives it; other threads read what it checkpoints.
 */
public final class Learner implements AutoCloseable {
  /** Most trial steps {@link SftTuning} takes, in units of {@code sft.steps}: what progress counts up to before training. */
  public static final int GRID_STEPS = 3;
  private final Recipe recipe;
  private final Tokenizer tokenizer;
  private final Policy base;
  private final Policy policy;
  /** π_SFT, frozen: the likelihood term of the anchored ranking (null under the other rankings, and before SFT). */
  private Policy anchor;
  private Discriminator discriminator;
  private PolicyStep policyStep;
  private final SamplePool pool;
  private final SamplePool holdout;
  private long version;
  private long updates;
  private long trainedSamples;

  Learner(Recipe recipe, Tokenizer tokenizer, Policy base, Policy policy) {
    this.recipe = recipe;
    this.tokenizer = tokenizer;
    this.base = base;
    this.policy = policy;
    int current = Math.max(64, 2 * recipe.promptsPerUpdate() * recipe.samplesPerPrompt());
    this.pool = new SamplePool(current, 4096);
    this.holdout = new SamplePool(current, 512);
  }

  /**
   * A learner at version 0: π_0 is {@code base} (owned from now on), nothing trained yet. With
   * {@code lora.rank} > 0 the policy is π_0 frozen under a fresh LoRA adapter, the only part that trains.
   */
  public static Learner fresh(Policy base, Tokenizer tokenizer, Recipe recipe) {
    Policy policy = recipe.lora().enabled() ? base.withAdapter(recipe.lora(), recipe.seed()) : base.copy();
    return new Learner(recipe, tokenizer, base, policy);
  }

  /** Restores a learner checkpointed with {@link #save}; the recipe is the caller's (it may differ on purpose). */
  public static Learner load(Path dir, Recipe recipe) throws IOException {
    return LearnerCheckpoint.read(dir, recipe);
  }

  /**
   * Writes the whole learner state (policy, π_0, reward model, every optimiser, sample pools,
   * counters and the caller's {@code extra}, e.g. input offsets) into the directory {@code dir}
   * ({@link LearnerCheckpoint} has the layout and reads it back).
   */
  public void save(Path dir, Map<String, Object> extra) throws IOException {
    LearnerCheckpoint.write(this, dir, extra, null);
  }

  /**
   * As {@link #save(Path, Map)}, with the frozen models (π_0, π_SFT) hard-linked from {@code previous}, an
   * earlier checkpoint of this learner's run, instead of written again (they never change within a run).
   */
  public void save(Path dir, Map<String, Object> extra, Path previous) throws IOException {
    LearnerCheckpoint.write(this, dir, extra, previous);
  }

  public Recipe recipe() {
    return recipe;
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  public Policy policy() {
    return policy;
  }

  public Policy base() {
    return base;
  }

  /** The reward-model ensemble; null before {@link #sft}. */
  public RewardEnsemble reward() {
    return discriminator == null ? null : discriminator.ensemble();
  }

  public long version() {
    return version;
  }

  public long updates() {
    return updates;
  }

  public long trainedSamples() {
    return trainedSamples;
  }

  Discriminator discriminator() {
    return discriminator;
  }

  PolicyStep policyStep() {
    return policyStep;
  }

  SamplePool pool() {
    return pool;
  }

  SamplePool holdout() {
    return holdout;
  }

  void restoreCounters(long version, long updates, long trainedSamples) {
    this.version = version;
    this.updates = updates;
    this.trainedSamples = trainedSamples;
  }

  /** π_SFT as the anchored ranking keeps it, or null. */
  Policy anchor() {
    return anchor;
  }

  /** The loop's models: the reward model, the policy's optimiser and, for the anchored ranking, π_SFT frozen. */
  void startLoop(Discriminator discriminator, AdamW policyOptimizer, Policy anchor) {
    this.discriminator = discriminator;
    this.anchor = anchor;
    this.policyStep = new PolicyStep(recipe, policy, base, anchor, policyOptimizer);
  }

  /** Tokenizes a demonstration as the policy sees it; null if it does not fit the context. */
  public Example demonstration(String prompt, String response) {
    long[] p = tokenizer.encode(prompt);
    long[] r = tokenizer.responseIds(response);
    return p.length == 0 || r.length == 0 || p.length + r.length > policy.config().contextLength()
        ? null : new Example(p, r);
  }

  /** Why this batch cannot be trained on, or empty when it can ({@link TrainingInput#unusable}). */
  public Optional<String> unusable(TrainingBatch batch) {
    return TrainingInput.unusable(batch, policy.config());
  }

  /**
   * Stage 1: supervised fine-tuning on the demonstrations, its learning rate and length chosen by
   * held-out NLL when {@code sft.tune} ({@link SftTuning}; at most {@code sft.steps} steps), then the
   * recipe's reward model ({@link Discriminator#start}). Afterwards the version is 1.
   *
   * @param onStep called after every step (tuning trials included) with the count so far, for progress
   * @return what SFT did
   */
  public SftResult sft(List<Example> demonstrations, IntConsumer onStep) {
    if (version != 0) {
      throw new IllegalStateException("SFT runs once, from π_0; this learner is at version " + version);
    }
    if (demonstrations.isEmpty() && recipe.sftSteps() > 0) {
      throw new IllegalArgumentException("SFT needs demonstrations, and none fit the model's context");
    }
    SftTuning.Choice choice = recipe.sftTune()
        ? SftTuning.choose(policy, demonstrations, recipe.sftSteps(), recipe.sftBatch(), recipe.sftLr(), recipe.seed(), onStep)
        : new SftTuning.Choice(recipe.sftLr(), recipe.sftSteps(), Double.NaN, List.of());
    int tried = recipe.sftTune() ? GRID_STEPS * recipe.sftSteps() : 0;
    StepStats last = SftTuning.train(policy, demonstrations, choice.steps(), recipe.sftBatch(), choice.lr(),
        recipe.seed(), step -> onStep.accept(tried + step));
    demonstrations.forEach(d -> pool.add(Source.DEMONSTRATIONS, d));
    startLoop(Discriminator.start(recipe, base, policy, demonstrations),
        new AdamW(AdamWConfig.defaults(), recipe.policySchedule()),
        recipe.ranking() != Recipe.Ranking.ANCHORED_LIKELIHOOD ? null
            : recipe.lora().enabled() ? policy.merged() : policy.copy()); // frozen either way: nothing trains it
    version = 1;
    return new SftResult(choice, last);
  }

  /** What {@link #sft} chose and its last step's statistics (null when it took none). */
  public record SftResult(SftTuning.Choice choice, StepStats last) {}

  /** What one update did: the figures the service reports as metrics. */
  public record UpdateResult(long version, boolean policyUpdated, Map<String, Double> metrics) {}

  /**
   * One update from a group of training batches: the reward model takes
   * {@code reward.steps_per_update} discriminator steps, then (after the warm-up updates) the policy
   * takes one step of its objective. The version advances by one.
   */
  public UpdateResult update(List<TrainingBatch> batches) {
    if (discriminator == null) {
      throw new IllegalStateException("run sft(...) first (use sft.steps=0 to skip the training itself)");
    }
    Random random = new Random(recipe.seed() * 1_000_003L + updates);
    Map<String, Double> m = new LinkedHashMap<>();

    // 1. Sort the samples into populations; the held-out prompts only ever measure.
    List<ScoredSample> fresh = new ArrayList<>();
    List<Example> demos = new ArrayList<>();
    Set<String> seenDemos = new HashSet<>();
    double lagSum = 0;
    long lagMax = 0;
    int stale = 0;
    int incomplete = 0;
    for (TrainingBatch b : batches) {
      incomplete += b.getComplete() ? 0 : 1;
      boolean hold = TrainingInput.heldOut(b.getPromptId());
      for (ScoredSample s : b.getSamples()) {
        Example e = TrainingInput.example(s);
        if (e.prompt().length + e.response().length > policy.config().contextLength()) {
          continue;
        }
        Source source = TrainingInput.sourceOf(s);
        if (source == Source.DEMONSTRATIONS && !seenDemos.add(s.getId())) {
          continue;
        }
        (hold ? holdout : pool).add(source, e);
        if (hold) {
          continue;
        }
        if (source == Source.DEMONSTRATIONS) {
          demos.add(e);
        } else if (source == Source.CURRENT_POLICY_SAMPLES) {
          long lag = Math.max(0, version - s.getPolicyVersion());
          lagSum += lag;
          lagMax = Math.max(lagMax, lag);
          if (lag > recipe.maxLag()) {
            stale++; // too far behind to correct with a truncated importance weight
          } else {
            fresh.add(s);
          }
        }
      }
    }
    long generations = batches.stream().flatMap(b -> b.getSamples().stream())
        .filter(s -> s.getKind() == SampleKind.GENERATION).count();
    m.put("lag.mean", generations == 0 ? 0 : lagSum / Math.max(1, fresh.size() + stale));
    m.put("lag.max", (double) lagMax);
    m.put("samples.stale_dropped", (double) stale);
    m.put("batches.incomplete", (double) incomplete);
    batchRewards(batches, m);

    // 2. The reward model, then how well it tells the held-out populations apart.
    discriminator.train(pool, random, m);
    discriminator.measure(holdout, m);

    // 3. The policy.
    boolean policyUpdated = false;
    if (updates >= recipe.rewardWarmupUpdates()) {
      StepStats s = policyStep.take(fresh, demos, discriminator, m);
      if (s != null) {
        policyUpdated = !s.skipped();
        m.put("policy.loss", s.loss());
        m.put("policy.grad_norm", s.gradNorm());
        s.metrics().forEach((k, v) -> m.put("policy." + k, v));
      }
    }
    updates++;
    version++;
    trainedSamples += fresh.size() + demos.size();
    m.put("samples.trained", (double) trainedSamples);
    return new UpdateResult(version, policyUpdated, m);
  }

  /** The rewards the rewarder gave this update's samples: generations' mean and spread, demonstrations' mean. */
  private static void batchRewards(List<TrainingBatch> batches, Map<String, Double> m) {
    double gen = 0;
    double spread = 0;
    double demo = 0;
    int g = 0;
    int d = 0;
    for (TrainingBatch b : batches) {
      for (ScoredSample s : b.getSamples()) {
        if (s.getKind() == SampleKind.DEMONSTRATION) {
          demo += s.getRewardMean();
          d++;
        } else {
          gen += s.getRewardMean();
          spread += s.getRewardStd();
          g++;
        }
      }
    }
    if (g > 0) {
      m.put("reward.generations_mean", gen / g);
      m.put("reward.generations_spread", spread / g);
    }
    if (d > 0) {
      m.put("reward.demonstrations_mean", demo / d);
    }
  }

  static double mean(IntToDoubleFunction f, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += f.applyAsDouble(i);
    }
    return n == 0 ? 0 : s / n;
  }

  @Override
  public void close() {
    if (policyStep != null) {
      policyStep.close();
    }
    if (discriminator != null) {
      discriminator.close();
    }
    if (anchor != null) {
      anchor.close();
    }
    policy.close();
    base.close();
    tokenizer.close();
  }
}
