package io.alignstream.learner;

import io.alignstream.model.DiscriminatorConfig;
import io.alignstream.model.DiscriminatorConfig.Source;
import io.alignstream.model.lora.LoraConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What the learner does, from π_0 to the continuous loop (see docs/ALGORITHMS.md): SFT on the
 * demonstrations, a discriminator reward model (AfD) with its positive/negative sources, and a
 * policy objective (SFT, Best-of-N distillation, or DPO/IPO/SLiC against the behaviour policy).
 *
 * <p>A recipe is a {@code key = value} file plus {@code --set key=value} overrides; every key has a
 * default, unknown keys and bad values are rejected with a message that says how to fix them.
 */
public record Recipe(
    int samplesPerPrompt,
    int sftSteps,
    int sftBatch,
    double sftLr,
    boolean sftTune,
    int rewardMembers,
    RewardBackbone rewardBackbone,
    Source rewardPositive,
    Source rewardNegative,
    double rewardLr,
    int rewardStepsPerUpdate,
    int rewardWarmupUpdates,
    int rewardSwapped,
    PolicyObjective policyObjective,
    Ranking ranking,
    double anchorWeight,
    double policyLr,
    double beta,
    double importanceCap,
    int maxLag,
    double demoWeight,
    int promptsPerUpdate,
    int rounds,
    int maxUpdates,
    long seed,
    LoraConfig lora) {

  /** How the policy is updated in the loop. */
  public enum PolicyObjective {
    /** Keep fine-tuning on the demonstrations only (the baseline). */
    SFT,
    /** Preference fine-tuning: NLL on each prompt's highest-reward generation (Best-of-N distillation). */
    BEST_OF_N,
    /** BPO with the DPO loss: best vs worst generation, the behaviour policy as reference. */
    DPO,
    /** BPO with the IPO loss. */
    IPO,
    /** BPO with the SLiC hinge loss. */
    SLIC
  }

  /** What the reward model may train. */
  public enum RewardBackbone {
    /** A linear head on π_0's frozen features, fitted on preference pairs ({@code FrozenHeadDiscriminator}). */
    FROZEN,
    /** The whole backbone and its head, from π_SFT, demonstrations vs the negatives (AfD's discriminator). */
    TRAINED
  }

  /** How the learner ranks a prompt's generations for Best-of-N distillation and preference pairs. */
  public enum Ranking {
    /** By the discriminator's logit f alone (the reward r = f of AfD). */
    DISCRIMINATOR,
    /**
     * By f + log π_neg(y|x), where π_neg is the policy whose samples are the discriminator's negatives.
     * The optimal discriminator between positives p and negatives π_neg is D* = p / (p + π_neg), so
     * f* = log p − log π_neg and f + log π_neg estimates log p(y|x): how likely the demonstrator is to
     * give y. Ranking by f alone prefers whatever the policy rarely says, right or wrong, and Best-of-N
     * over it falls as N grows (the over-optimisation of the AfD paper); the likelihood term keeps what
     * the policy knows. For the current policy's samples log π_neg is the behaviour log-prob each
     * generation carries, at no cost.
     */
    EXPERT_LIKELIHOOD,
    /**
     * By f + log π_SFT(y|x): the expert likelihood with the SFT stage's policy, frozen, as the
     * likelihood term: a trust region in Best-of-N form (the best of N is the sample the reward model
     * likes that π_SFT also finds plausible). Under {@link #EXPERT_LIKELIHOOD} the term is the moving
     * policy's own, so whatever the reward model over-rates grows likelier each update and then wins the
     * ranking more easily: on the opposites task the loop learned "the opposite of hard is the ."
     * (demonstration-like words, no content) and lost 7.5 points greedy. DITTO's ablation points the
     * same way (a refreshed reference fell from 70.1 to 45.8). The learner keeps a frozen copy of π_SFT.
     * {@code policy.anchor_weight} λ weighs the term: f + λ log π_SFT(y|x); λ = 2 against 1 gave greedy
     * −3.1 against +1.2 on the built-in task's dev seed and 0.0 against −3.3 on the opposites task, sampled
     * alike: within the runs' noise, so 1 stays the default.
     */
    ANCHORED_LIKELIHOOD
  }

  public Recipe {
    positive("samples.per_prompt", samplesPerPrompt);
    atLeast("sft.steps", sftSteps, 0);
    positive("sft.batch", sftBatch);
    positive("sft.lr", sftLr);
    positive("reward.members", rewardMembers);
    new DiscriminatorConfig(rewardPositive, rewardNegative); // validates the pairing
    positive("reward.lr", rewardLr);
    atLeast("reward.steps_per_update", rewardStepsPerUpdate, 0);
    atLeast("reward.warmup_updates", rewardWarmupUpdates, 0);
    atLeast("reward.swapped", rewardSwapped, 0);
    positive("policy.anchor_weight", anchorWeight);
    positive("policy.lr", policyLr);
    positive("policy.beta", beta);
    if (!(importanceCap >= 1)) {
      throw new IllegalArgumentException("recipe: policy.importance_cap must be >= 1 (c in min(pi/pi_beta, c)), got "
          + importanceCap);
    }
    atLeast("policy.max_lag", maxLag, 0);
    atLeast("policy.demo_weight", demoWeight, 0);
    positive("loop.prompts_per_update", promptsPerUpdate);
    atLeast("loop.rounds", rounds, 0);
    atLeast("loop.max_updates", maxUpdates, 0);
    java.util.Objects.requireNonNull(lora, "recipe: lora (LoraConfig.OFF for none)");
    if (policyObjective != PolicyObjective.SFT && policyObjective != PolicyObjective.BEST_OF_N
        && samplesPerPrompt < 2) {
      throw new IllegalArgumentException("recipe: policy.objective=" + name(policyObjective)
          + " needs pairs, so samples.per_prompt must be at least 2, got " + samplesPerPrompt);
    }
  }

  public DiscriminatorConfig discriminator() {
    return new DiscriminatorConfig(rewardPositive, rewardNegative);
  }

  /** The defaults: continuous AfD (demonstrations vs the current policy) with Best-of-N distillation. */
  public static Recipe defaults() {
    return parse(Map.of());
  }

  private static final Map<String, String> DEFAULTS = defaultsMap();

  private static Map<String, String> defaultsMap() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("samples.per_prompt", "4");
    // The most SFT steps; with sft.tune the held-out NLL picks fewer (early stopping) and the learning rate.
    d.put("sft.steps", "200");
    d.put("sft.batch", "16");
    d.put("sft.lr", "3e-4");
    d.put("sft.tune", "true");
    // Three heads on bootstrap resamples of the pairs, ranked by mean − spread: on the dev seed greedy +0.6
    // points against SFT only where one head gave −0.3 (sampled +14.4 and +14.6).
    d.put("reward.members", "3");
    d.put("reward.backbone", "frozen");
    d.put("reward.positive", "demonstrations");
    d.put("reward.negative", "current_policy_samples");
    d.put("reward.lr", "3e-4");
    d.put("reward.steps_per_update", "2");
    d.put("reward.warmup_updates", "0");
    d.put("reward.swapped", "0");
    d.put("policy.objective", "best_of_n");
    d.put("policy.ranking", "anchored_likelihood");
    d.put("policy.anchor_weight", "1");
    // Built-in task, dev seeds 101-103 (never the reported ones): 1e-4 with no demonstration term kept the
    // greedy policy at π_SFT's level while sampled success rose; 0.5 demonstration weight over-trained
    // past the step count the held-out NLL chose.
    d.put("policy.lr", "1e-4");
    d.put("policy.beta", "0.1");
    d.put("policy.importance_cap", "2.0");
    d.put("policy.max_lag", "4");
    d.put("policy.demo_weight", "0");
    d.put("loop.prompts_per_update", "16");
    // 0: prompts come round again until the update budget (loop.max_updates) is spent.
    d.put("loop.rounds", "0");
    d.put("loop.max_updates", "0");
    d.put("seed", "42");
    // LoRA (rank 0: full fine-tuning). With a rank, the policy trains an adapter over frozen π_0 and
    // the learner publishes only the adapter.
    d.put("lora.rank", "0");
    d.put("lora.alpha", "16");
    d.put("lora.dropout", "0");
    d.put("lora.targets", LoraConfig.ALL_LINEAR);
    return Map.copyOf(d);
  }

  /** Every key with its default, in a stable order; what {@code --help} and the docs list. */
  public static Map<String, String> keysWithDefaults() {
    return new TreeMap<>(DEFAULTS);
  }

  /** A recipe from a file (may be null) and then overrides ({@code key=value} each). */
  public static Recipe load(Path file, List<String> overrides) {
    return parse(given(file, overrides));
  }

  /**
   * This recipe changed by a file's keys (file may be null) and then overrides ({@code key=value}
   * each): what a replay of a recorded run does to that run's recipe.
   */
  public Recipe with(Path file, List<String> overrides) {
    Map<String, String> values = new LinkedHashMap<>(toMap());
    values.putAll(given(file, overrides));
    return parse(values);
  }

  /** Prefix of the recipe's keys in a model manifest's metadata (the learner publishes π_0 with its recipe). */
  public static final String METADATA_PREFIX = "recipe.";

  /** The recipe as manifest metadata: every key prefixed with {@link #METADATA_PREFIX}. */
  public Map<String, String> toMetadata() {
    Map<String, String> m = new TreeMap<>();
    toMap().forEach((k, v) -> m.put(METADATA_PREFIX + k, v));
    return m;
  }

  /** The recipe recorded in manifest metadata by {@link #toMetadata}, if there is one. */
  public static java.util.Optional<Recipe> fromMetadata(Map<String, String> metadata) {
    Map<String, String> values = new LinkedHashMap<>();
    metadata.forEach((k, v) -> {
      if (k.startsWith(METADATA_PREFIX)) {
        values.put(k.substring(METADATA_PREFIX.length()), v);
      }
    });
    return values.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(parse(values));
  }

  /** The keys a file (may be null) and then overrides set, overrides winning. */
  private static Map<String, String> given(Path file, List<String> overrides) {
    Map<String, String> values = new LinkedHashMap<>();
    if (file != null) {
      Properties p = new Properties();
      try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(in);
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException("recipe file " + file + " does not exist");
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read recipe file " + file + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> values.put(k.trim(), p.getProperty(k).trim()));
    }
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("recipe override '" + o + "' must look like key=value, e.g. policy.objective=dpo");
      }
      values.put(o.substring(0, eq).trim(), o.substring(eq + 1).trim());
    }
    return values;
  }

  /** A recipe from {@code key → value}; missing keys take their defaults. */
  public static Recipe parse(Map<String, String> given) {
    for (String key : given.keySet()) {
      if (!DEFAULTS.containsKey(key)) {
        throw new IllegalArgumentException("recipe: unknown key '" + key + "'" + KeySuggestion.of(key, DEFAULTS.keySet())
            + "; known keys: " + String.join(", ", new TreeMap<>(DEFAULTS).keySet()));
      }
    }
    Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
    v.putAll(given);
    Function<String, Integer> i = k -> parse(k, v.get(k), Integer::parseInt, "an integer");
    Function<String, Double> d = k -> parse(k, v.get(k), Double::parseDouble, "a number");
    return new Recipe(
        i.apply("samples.per_prompt"),
        i.apply("sft.steps"), i.apply("sft.batch"), d.apply("sft.lr"), bool("sft.tune", v.get("sft.tune")),
        i.apply("reward.members"), choice("reward.backbone", v.get("reward.backbone"), RewardBackbone.class,
            "a backbone; use frozen (a head on π_0's features) or trained (the whole discriminator)"),
        source("reward.positive", v.get("reward.positive")),
        source("reward.negative", v.get("reward.negative")), d.apply("reward.lr"),
        i.apply("reward.steps_per_update"), i.apply("reward.warmup_updates"), i.apply("reward.swapped"),
        choice("policy.objective", v.get("policy.objective"), PolicyObjective.class,
            "an objective; use one of sft, best_of_n, dpo, ipo, slic"),
        choice("policy.ranking", v.get("policy.ranking"), Ranking.class,
            "a ranking; use discriminator, expert_likelihood or anchored_likelihood"),
        d.apply("policy.anchor_weight"), d.apply("policy.lr"), d.apply("policy.beta"),
        d.apply("policy.importance_cap"), i.apply("policy.max_lag"), d.apply("policy.demo_weight"),
        i.apply("loop.prompts_per_update"), i.apply("loop.rounds"), i.apply("loop.max_updates"),
        parse("seed", v.get("seed"), Long::parseLong, "an integer"), lora(i, d, v.get("lora.targets")));
  }

  private static LoraConfig lora(Function<String, Integer> i, Function<String, Double> d, String targets) {
    try {
      return new LoraConfig(i.apply("lora.rank"), d.apply("lora.alpha"), d.apply("lora.dropout"),
          java.util.Arrays.stream(targets.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("recipe: " + e.getMessage(), e);
    }
  }

  /** The recipe as {@code key → value}, the inverse of {@link #parse}. */
  public Map<String, String> toMap() {
    Map<String, String> m = new TreeMap<>();
    m.put("samples.per_prompt", Integer.toString(samplesPerPrompt));
    m.put("sft.steps", Integer.toString(sftSteps));
    m.put("sft.batch", Integer.toString(sftBatch));
    m.put("sft.lr", Double.toString(sftLr));
    m.put("sft.tune", Boolean.toString(sftTune));
    m.put("reward.members", Integer.toString(rewardMembers));
    m.put("reward.backbone", name(rewardBackbone));
    m.put("reward.positive", name(rewardPositive));
    m.put("reward.negative", name(rewardNegative));
    m.put("reward.lr", Double.toString(rewardLr));
    m.put("reward.steps_per_update", Integer.toString(rewardStepsPerUpdate));
    m.put("reward.warmup_updates", Integer.toString(rewardWarmupUpdates));
    m.put("reward.swapped", Integer.toString(rewardSwapped));
    m.put("policy.objective", name(policyObjective));
    m.put("policy.ranking", name(ranking));
    m.put("policy.anchor_weight", Double.toString(anchorWeight));
    m.put("policy.lr", Double.toString(policyLr));
    m.put("policy.beta", Double.toString(beta));
    m.put("policy.importance_cap", Double.toString(importanceCap));
    m.put("policy.max_lag", Integer.toString(maxLag));
    m.put("policy.demo_weight", Double.toString(demoWeight));
    m.put("loop.prompts_per_update", Integer.toString(promptsPerUpdate));
    m.put("loop.rounds", Integer.toString(rounds));
    m.put("loop.max_updates", Integer.toString(maxUpdates));
    m.put("seed", Long.toString(seed));
    m.put("lora.rank", Integer.toString(lora.rank()));
    m.put("lora.alpha", Double.toString(lora.alpha()));
    m.put("lora.dropout", Double.toString(lora.dropout()));
    m.put("lora.targets", String.join(",", lora.targets()));
    return m;
  }

  /** The recipe spelling of an enum value (lower case). */
  public static String name(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  private static Source source(String key, String value) {
    for (Source s : Source.values()) {
      if (name(s).equals(value.toLowerCase(Locale.ROOT)) || aliases(s).contains(value.toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("recipe: " + key + "=" + value
        + " is not a sample source; use one of demonstrations, init_samples, sft_samples, current_policy_samples");
  }

  private static List<String> aliases(Source s) {
    return switch (s) {
      case DEMONSTRATIONS -> List.of("demos", "demo");
      case INIT_SAMPLES -> List.of("init", "base");
      case SFT_SAMPLES -> List.of("sft");
      case CURRENT_POLICY_SAMPLES -> List.of("policy", "current");
    };
  }

  private static boolean bool(String key, String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new IllegalArgumentException("recipe: " + key + "=" + value + " is not true or false");
    };
  }

  /** The enum constant whose {@link #name} {@code value} is (case, dashes and spaces aside); {@code use} says what else. */
  private static <E extends Enum<E>> E choice(String key, String value, Class<E> type, String use) {
    String v = value.trim().toLowerCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (name(e).equals(v)) {
        return e;
      }
    }
    throw new IllegalArgumentException("recipe: " + key + "=" + value + " is not " + use);
  }

  private static <T> T parse(String key, String value, Function<String, T> parser, String what) {
    try {
      return parser.apply(value.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("recipe: " + key + "=" + value + " is not " + what);
    }
  }

  private static void positive(String key, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("recipe: " + key + " must be positive, got " + value);
    }
  }

  private static void atLeast(String key, double value, double min) {
    if (!(value >= min) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("recipe: " + key + " must be at least " + min + ", got " + value);
    }
  }
}
