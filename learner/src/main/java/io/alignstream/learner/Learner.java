package io.alignstream.learner;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.learner.Recipe.PolicyObjective;
import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.DiscriminatorConfig.Source;
import io.alignstream.model.Example;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Objectives;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.PreferenceConfig;
import io.alignstream.model.PreferencePair;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardTrainer;
import io.alignstream.model.StepStats;
import io.alignstream.model.Tokenizer;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.TrainingBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

/**
 * The learner's training logic, with no Kafka in it: SFT on demonstrations, then per update the
 * discriminator reward model (AfD) and the policy (per {@link Recipe}). The service feeds it batches
 * and publishes what it produces; tests call it directly.
 *
 * <p>Versions: 0 is π_0 as loaded, 1 is π_SFT, each {@link #update} adds one. Determinism: given
 * the same base weights, demonstrations and batches in the same order, the weights are
 * bit-identical (every random draw comes from {@code seed} and the update number). Not
 * thread-safe: one learner thread drives it.
 */
public final class Learner implements AutoCloseable {
  /** Responses of prompts whose id hashes to 0 mod this never train the reward model: they measure it. */
  static final int HOLDOUT_MODULUS = 10;
  private static final double HEAD_STD = 0.02;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Recipe recipe;
  private final Tokenizer tokenizer;
  private final Policy base;
  private final Policy policy;
  private PolicyTrainer policyTrainer;
  private RewardEnsemble reward;
  private final List<RewardTrainer> rewardTrainers = new ArrayList<>();
  private final SamplePool pool;
  private final SamplePool holdout;
  private long version;
  private long updates;
  private long trainedSamples;

  private Learner(Recipe recipe, Tokenizer tokenizer, Policy base, Policy policy) {
    this.recipe = recipe;
    this.tokenizer = tokenizer;
    this.base = base;
    this.policy = policy;
    int current = Math.max(64, 2 * recipe.promptsPerUpdate() * recipe.samplesPerPrompt());
    this.pool = new SamplePool(current, 4096);
    this.holdout = new SamplePool(current, 512);
  }

  /** A learner at version 0: π_0 is {@code base} (owned from now on), nothing trained yet. */
  public static Learner fresh(Policy base, Tokenizer tokenizer, Recipe recipe) {
    return new Learner(recipe, tokenizer, base, base.copy());
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
    return reward;
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

  /** Tokenizes a demonstration as the policy sees it; null if it does not fit the context. */
  public Example demonstration(String prompt, String response) {
    long[] p = tokenizer.encode(prompt);
    long[] r = tokenizer.responseIds(response);
    return p.length == 0 || r.length == 0 || p.length + r.length > policy.config().contextLength()
        ? null : new Example(p, r);
  }

  /**
   * Stage 1: supervised fine-tuning on the demonstrations ({@code sft.steps} steps of
   * {@code sft.batch}, epochs shuffled by seed), then a reward-model ensemble initialised from
   * π_SFT (a reward model initialised from the policy is far more label-efficient). Afterwards the
   * version is 1.
   *
   * @param onStep called after every step with the step number (for progress)
   * @return the last step's statistics, or null when {@code sft.steps} is 0
   */
  public StepStats sft(List<Example> demonstrations, IntConsumer onStep) {
    if (version != 0) {
      throw new IllegalStateException("SFT runs once, from π_0; this learner is at version " + version);
    }
    if (demonstrations.isEmpty() && recipe.sftSteps() > 0) {
      throw new IllegalArgumentException("SFT needs demonstrations, and none fit the model's context");
    }
    StepStats last = null;
    if (recipe.sftSteps() > 0) {
      var schedule = LrSchedule.cosine(recipe.sftLr(), Math.min(10, recipe.sftSteps() / 10), recipe.sftSteps());
      try (PolicyTrainer sft = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), schedule))) {
        List<Example> order = new ArrayList<>(demonstrations);
        Random random = new Random(recipe.seed());
        int cursor = order.size();
        for (int step = 1; step <= recipe.sftSteps(); step++) {
          List<Example> batch = new ArrayList<>(recipe.sftBatch());
          while (batch.size() < recipe.sftBatch()) {
            if (cursor == order.size()) {
              java.util.Collections.shuffle(order, random);
              cursor = 0;
            }
            batch.add(order.get(cursor++));
          }
          last = sft.sftStep(batch);
          onStep.accept(step);
        }
      }
    }
    demonstrations.forEach(d -> pool.add(Source.DEMONSTRATIONS, d));
    startLoop(RewardEnsemble.fromPolicy(policy, recipe.rewardMembers(), recipe.seed(), HEAD_STD));
    version = 1;
    return last;
  }

  private void startLoop(RewardEnsemble ensemble) {
    this.reward = ensemble;
    this.policyTrainer = new PolicyTrainer(policy,
        new AdamW(AdamWConfig.defaults(), LrSchedule.constant(recipe.policyLr())));
    for (var member : ensemble.members()) {
      rewardTrainers.add(new RewardTrainer(member,
          new AdamW(AdamWConfig.defaults(), LrSchedule.constant(recipe.rewardLr()))));
    }
  }

  /**
   * Why this batch cannot be trained on, or empty when it can: a sample whose token ids the policy
   * cannot take, a generation whose log-probs do not match its tokens, or a reward that is not a
   * number. Batching only ever emits what the rewarder scored, which checks the same, so this catches
   * records from other writers before they fail an update (and the learner with it, on every restart).
   */
  public Optional<String> unusable(TrainingBatch batch) {
    for (ScoredSample s : batch.getSamples()) {
      Optional<String> why = policy.config().unfit(ids(s.getPromptTokenIds()), ids(s.getResponseTokenIds()));
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

  /** A scored sample as the model sees it. */
  static Example example(ScoredSample s) {
    return new Example(ids(s.getPromptTokenIds()), ids(s.getResponseTokenIds()));
  }

  /** Avro token ids as the model takes them. */
  public static long[] ids(List<Integer> ints) {
    long[] out = new long[ints.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ints.get(i);
    }
    return out;
  }

  static double behaviourLogProb(ScoredSample s) {
    double sum = 0;
    for (float lp : s.getLogProbs()) {
      sum += lp;
    }
    return sum;
  }

  /** Whether a prompt only measures the reward model (never trains it). */
  public static boolean heldOut(String promptId) {
    return Math.floorMod(promptId.hashCode(), HOLDOUT_MODULUS) == 0;
  }

  private static Source sourceOf(ScoredSample s) {
    if (s.getKind() == SampleKind.DEMONSTRATION) {
      return Source.DEMONSTRATIONS;
    }
    return switch (s.getPolicyName()) {
      case "base" -> Source.INIT_SAMPLES;
      case "sft" -> Source.SFT_SAMPLES;
      default -> Source.CURRENT_POLICY_SAMPLES;
    };
  }

  /** What one update did: the figures the service reports as metrics. */
  public record UpdateResult(long version, boolean policyUpdated, Map<String, Double> metrics) {}

  /**
   * One update from a group of training batches: the reward model takes
   * {@code reward.steps_per_update} discriminator steps, then (after the warm-up updates) the policy
   * takes one step of its objective. The version advances by one.
   */
  public UpdateResult update(List<TrainingBatch> batches) {
    if (reward == null) {
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
      boolean hold = heldOut(b.getPromptId());
      for (ScoredSample s : b.getSamples()) {
        Example e = example(s);
        if (e.prompt().length + e.response().length > policy.config().contextLength()) {
          continue;
        }
        Source source = sourceOf(s);
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

    // 2. The discriminator: positives vs negatives of the recipe's sources.
    var disc = recipe.discriminator();
    double rewardLoss = 0;
    int rewardSteps = 0;
    for (int step = 0; step < recipe.rewardStepsPerUpdate(); step++) {
      int n = Math.max(8, Math.min(64, Math.min(pool.size(disc.positive()), pool.size(disc.negative()))));
      List<Example> pos = pool.draw(disc.positive(), n, random);
      List<Example> neg = pool.draw(disc.negative(), n, random);
      if (pos.isEmpty() || neg.isEmpty()) {
        break;
      }
      for (RewardTrainer t : rewardTrainers) {
        // Each member sees its own bootstrap resample: the ensemble's spread then means something.
        StepStats s = t.discriminatorStep(resample(pos, random), resample(neg, random));
        rewardLoss += s.loss();
        rewardSteps++;
      }
    }
    if (rewardSteps > 0) {
      m.put("reward.loss", rewardLoss / rewardSteps);
    }
    heldOutAccuracy(disc.positive(), disc.negative(), m);

    // 3. The policy.
    boolean policyUpdated = false;
    if (updates >= recipe.rewardWarmupUpdates()) {
      StepStats s = policyStep(fresh, demos, random, m);
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

  private StepStats policyStep(List<ScoredSample> fresh, List<Example> demos, Random random, Map<String, Double> m) {
    if (recipe.policyObjective() == PolicyObjective.SFT) {
      return demos.isEmpty() ? null : policyTrainer.sftStep(demos);
    }
    if (fresh.isEmpty()) {
      return null;
    }
    List<Example> examples = fresh.stream().map(Learner::example).toList();
    double[] behaviour = fresh.stream().mapToDouble(Learner::behaviourLogProb).toArray();
    double[] current = policy.sequenceLogProbs(examples);
    double[] initial = base.sequenceLogProbs(examples);
    // Samples come from π_β ≈ π_θ: E_β[log π_β − log π_θ] estimates KL(π_β ‖ π_θ), E[log π_θ − log π_0] KL to π_0.
    m.put("kl.behaviour", mean(i -> behaviour[i] - current[i], examples.size()));
    m.put("kl.base", mean(i -> current[i] - initial[i], examples.size()));

    // The learner's own, freshest ensemble ranks the samples, conservatively: mean − spread, plus
    // log π_neg under the expert-likelihood ranking (see Recipe.Ranking).
    var scores = reward.score(examples);
    double[] negativeLogProb = switch (recipe.discriminator().negative()) {
      case INIT_SAMPLES -> initial;
      // π_SFT is not kept; the current policy stands in (it starts as π_SFT and stays near it).
      case SFT_SAMPLES -> current;
      default -> behaviour;
    };
    double[] conservative = rankingScores(scores.mean(), scores.std(), negativeLogProb, recipe.ranking());
    m.put("policy.ranked_score_mean", mean(i -> conservative[i], conservative.length));
    Map<String, List<Integer>> byPrompt = new LinkedHashMap<>();
    for (int i = 0; i < fresh.size(); i++) {
      ScoredSample s = fresh.get(i);
      byPrompt.computeIfAbsent(s.getPromptId() + "/" + s.getRound(), k -> new ArrayList<>()).add(i);
    }
    double[] weights = Objectives.truncatedImportanceWeights(current, behaviour, recipe.importanceCap());
    m.put("policy.importance_weight", mean(i -> weights[i], weights.length));

    if (recipe.policyObjective() == PolicyObjective.BEST_OF_N) {
      List<Example> chosen = new ArrayList<>();
      List<Double> w = new ArrayList<>();
      for (List<Integer> group : byPrompt.values()) {
        int best = group.stream().max(Comparator.comparingDouble(i -> conservative[i])).orElseThrow();
        chosen.add(examples.get(best));
        w.add(weights[best]);
      }
      if (recipe.demoWeight() > 0) {
        demos.forEach(d -> {
          chosen.add(d);
          w.add(recipe.demoWeight());
        });
      }
      return policyTrainer.sftStep(chosen, w.stream().mapToDouble(Double::doubleValue).toArray());
    }

    List<PreferencePair> pairs = new ArrayList<>();
    for (List<Integer> group : byPrompt.values()) {
      if (group.size() < 2) {
        continue;
      }
      int best = group.stream().max(Comparator.comparingDouble(i -> conservative[i])).orElseThrow();
      int worst = group.stream().min(Comparator.comparingDouble(i -> conservative[i])).orElseThrow();
      if (conservative[best] > conservative[worst]) {
        // BPO: the reference is the behaviour policy that generated the pair, carried with the data.
        pairs.add(new PreferencePair(examples.get(best).prompt(), examples.get(best).response(),
            examples.get(worst).response(), behaviour[best], behaviour[worst]));
      }
    }
    if (pairs.isEmpty()) {
      return null;
    }
    var loss = switch (recipe.policyObjective()) {
      case DPO -> Objectives.PreferenceLoss.DPO;
      case IPO -> Objectives.PreferenceLoss.IPO;
      case SLIC -> Objectives.PreferenceLoss.SLIC;
      default -> throw new IllegalStateException("not a preference objective: " + recipe.policyObjective());
    };
    StepStats s = policyTrainer.preferenceStep(pairs, new PreferenceConfig(loss, recipe.beta()));
    if (recipe.demoWeight() > 0 && !demos.isEmpty()) {
      double[] dw = new double[demos.size()];
      java.util.Arrays.fill(dw, recipe.demoWeight());
      m.put("policy.demo_loss", policyTrainer.sftStep(demos, dw).loss());
    }
    return s;
  }

  /**
   * What a prompt's generations are ranked by: the ensemble's mean − spread (conservative where the
   * members disagree), plus log π_neg(y|x) under {@link Recipe.Ranking#EXPERT_LIKELIHOOD}.
   */
  static double[] rankingScores(double[] mean, double[] std, double[] negativeLogProb, Recipe.Ranking ranking) {
    double[] out = new double[mean.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = mean[i] - std[i] + (ranking == Recipe.Ranking.EXPERT_LIKELIHOOD ? negativeLogProb[i] : 0);
    }
    return out;
  }

  private void batchRewards(List<TrainingBatch> batches, Map<String, Double> m) {
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

  /** Classification accuracy of the ensemble's mean on held-out positives (r > 0) and negatives (r < 0). */
  private void heldOutAccuracy(Source positive, Source negative, Map<String, Double> m) {
    List<Example> pos = holdout.all(positive);
    List<Example> neg = holdout.all(negative);
    if (pos.isEmpty() || neg.isEmpty()) {
      return;
    }
    double[] rp = reward.score(pos).mean();
    double[] rn = reward.score(neg).mean();
    int right = 0;
    for (double r : rp) {
      right += r > 0 ? 1 : 0;
    }
    for (double r : rn) {
      right += r < 0 ? 1 : 0;
    }
    m.put("reward.accuracy", (double) right / (rp.length + rn.length));
    m.put("reward.holdout_margin", mean(i -> rp[i], rp.length) - mean(i -> rn[i], rn.length));
  }

  private static List<Example> resample(List<Example> xs, Random random) {
    List<Example> out = new ArrayList<>(xs.size());
    for (int i = 0; i < xs.size(); i++) {
      out.add(xs.get(random.nextInt(xs.size())));
    }
    return out;
  }

  private static double mean(java.util.function.IntToDoubleFunction f, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += f.applyAsDouble(i);
    }
    return n == 0 ? 0 : s / n;
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  private static final String STATE_FILE = "learner.json";

  /**
   * Writes the whole learner state (policy, π_0, reward ensemble, every optimiser, sample pools,
   * counters and the caller's {@code extra}, e.g. input offsets) to {@code dir}, atomically: it is
   * written beside and renamed into place.
   */
  public void save(Path dir, Map<String, Object> extra) throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, ".tmp-" + dir.getFileName());
    try {
      policy.save(tmp.resolve("policy"));
      tokenizer.save(tmp.resolve("policy"));
      base.save(tmp.resolve("base"));
      tokenizer.save(tmp.resolve("base"));
      if (reward != null) {
        reward.save(tmp.resolve("reward"));
        policyTrainer.optimizer().save(Files.createDirectories(tmp.resolve("policy-optimizer")));
        for (int k = 0; k < rewardTrainers.size(); k++) {
          rewardTrainers.get(k).optimizer().save(Files.createDirectories(tmp.resolve("reward-optimizer-" + k)));
        }
      }
      Map<String, Object> state = new LinkedHashMap<>();
      state.put("version", version);
      state.put("updates", updates);
      state.put("trainedSamples", trainedSamples);
      state.put("recipe", recipe.toMap());
      state.put("pool", pool.toJson());
      state.put("holdout", holdout.toJson());
      state.put("extra", extra);
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(STATE_FILE).toFile(), state);
      if (Files.exists(dir)) {
        deleteRecursively(dir);
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      deleteRecursively(tmp);
      throw e;
    }
  }

  /**
   * The policy's {@code weightsToBytes()} as checkpoint {@code dir} holds it: byte for byte what
   * encoding {@link #policy()} again would give right after {@link #save}, without the encoding.
   */
  public static byte[] savedPolicyBytes(Path dir) throws IOException {
    return Policy.savedWeightsToBytes(dir.resolve("policy"));
  }

  /** The reward ensemble's {@code weightsToBytes()} as checkpoint {@code dir} holds it (see {@link #savedPolicyBytes}). */
  public static byte[] savedRewardBytes(Path dir) throws IOException {
    return RewardEnsemble.savedWeightsToBytes(dir.resolve("reward"));
  }

  /** The caller's {@code extra} map saved with a checkpoint. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> savedExtra(Path dir) throws IOException {
    Map<String, Object> state = JSON.readValue(dir.resolve(STATE_FILE).toFile(), Map.class);
    return (Map<String, Object>) state.getOrDefault("extra", Map.of());
  }

  /** Restores a learner saved with {@link #save}; the recipe is the caller's (it may differ on purpose). */
  @SuppressWarnings("unchecked")
  public static Learner load(Path dir, Recipe recipe) throws IOException {
    Map<String, Object> state = JSON.readValue(dir.resolve(STATE_FILE).toFile(), Map.class);
    Tokenizer tokenizer = Tokenizer.load(dir.resolve("policy"));
    Learner l = new Learner(recipe, tokenizer, Policy.load(dir.resolve("base")), Policy.load(dir.resolve("policy")));
    l.version = ((Number) state.get("version")).longValue();
    l.updates = ((Number) state.get("updates")).longValue();
    l.trainedSamples = ((Number) state.get("trainedSamples")).longValue();
    l.pool.fromJson((Map<String, List<List<List<Number>>>>) state.get("pool"));
    l.holdout.fromJson((Map<String, List<List<List<Number>>>>) state.get("holdout"));
    if (Files.isDirectory(dir.resolve("reward"))) {
      l.reward = RewardEnsemble.load(dir.resolve("reward"), recipe.seed());
      l.policyTrainer = new PolicyTrainer(l.policy, AdamW.load(dir.resolve("policy-optimizer")));
      for (int k = 0; k < l.reward.members().size(); k++) {
        l.rewardTrainers.add(new RewardTrainer(l.reward.members().get(k), AdamW.load(dir.resolve("reward-optimizer-" + k))));
      }
    }
    return l;
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }

  @Override
  public void close() {
    rewardTrainers.forEach(RewardTrainer::close);
    if (policyTrainer != null) {
      policyTrainer.close();
    }
    if (reward != null) {
      reward.close();
    }
    policy.close();
    base.close();
    tokenizer.close();
  }
}
