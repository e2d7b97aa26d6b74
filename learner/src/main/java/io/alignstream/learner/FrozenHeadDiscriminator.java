package io.alignstream.learner;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.model.DiscriminatorConfig.Source;
import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardHeads;
import io.alignstream.model.RewardModel;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The default reward model ({@code reward.backbone=frozen}): a linear Bradley-Terry head on π_0's
 * frozen features (the mean final hidden state over the response, {@link RewardModel#features}),
 * fitted on pairs in which a demonstration is preferred to
 * <ul>
 *   <li>π_0's own samples for its prompt (what the base model habitually says there),
 *   <li>another prompt's demonstration given as the answer to this one (right kind, wrong content),
 *   <li>its own response cut short (right start, unfinished),
 *   <li>with {@code reward.swapped} > 0, that many copies of its own response with one word swapped for
 *       another demonstration's (right form, wrong content: a head on mean features otherwise rewards a
 *       reply for being made of demonstration-like words; on the opposites task the loop learned "the
 *       opposite of hard is the ." without them, and with 4 lost 0.8 points greedy instead of 3.3, but
 *       on the built-in task's dev seed it gained less: off by default), and
 *   <li>the current policy's samples for its prompt, from the learner's replay pool.
 * </ul>
 * From a few dozen demonstrations a whole-backbone discriminator memorises them and calls every new
 * response fake; a head that may only weigh the base model's features has to learn what kind of reply
 * a demonstration is, which carries over to prompts no demonstration shows. An eighth of the
 * demonstrations (at least 8 in all) only measure it: {@code reward.pair_accuracy} is its accuracy on
 * their pairs, the figure to watch (above 0.5 is better than chance).
 *
 * <p>Every update refits the head from where it was, full batch, so the head is a function of the
 * pairs and the checkpointed head alone; resumed learners give the same weights.
 */
final class FrozenHeadDiscriminator implements Discriminator {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String PAIRS_FILE = "reward-pairs.json";
  /** π_0 samples per demonstration prompt, other prompts' demonstrations and cut-short copies per demonstration. */
  static final int BASE_SAMPLES = 8;
  static final int MISMATCHED = 4;
  static final int CUT = 4;
  /** Adam steps of the head's fit per {@code reward.steps_per_update}. */
  private static final int FIT_STEPS = 60;
  private static final int FEATURE_CACHE = 20_000;

  private record Key(long[] prompt, long[] response) {
    static Key of(Example e) {
      return new Key(e.prompt(), e.response());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(prompt, k.prompt) && Arrays.equals(response, k.response);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(prompt) + Arrays.hashCode(response);
    }
  }

  /** A preferred and a rejected response, and which kind of negative the rejected one is. */
  private record Pair(Example chosen, Example rejected, String kind) {}

  private final Recipe recipe;
  private final RewardEnsemble ensemble;
  private final List<Example> demonstrations;
  private final List<List<Example>> baseSamples;
  private final Set<Integer> heldOut;
  private final List<Pair> fixedTrain = new ArrayList<>();
  private final List<Pair> fixedHeldOut = new ArrayList<>();
  private final Map<Key, Integer> demoOfPrompt = new HashMap<>();
  private final Map<Key, float[]> features = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, float[]> eldest) {
      return size() > FEATURE_CACHE;
    }
  };

  private FrozenHeadDiscriminator(Recipe recipe, RewardEnsemble ensemble, List<Example> demonstrations,
      List<List<Example>> baseSamples) {
    this.recipe = recipe;
    this.ensemble = ensemble;
    this.demonstrations = List.copyOf(demonstrations);
    this.baseSamples = baseSamples.stream().map(List::copyOf).toList();
    this.heldOut = heldOut(demonstrations.size(), recipe.seed());
    Random random = new Random(recipe.seed() * 31 + 7);
    // The words demonstrations answer with (EOS aside), each once, in a fixed order: what a swap draws from.
    long[] words = demonstrations.stream()
        .flatMapToLong(d -> Arrays.stream(d.response(), 0, Math.max(0, d.response().length - 1)))
        .distinct().sorted().toArray();
    for (int i = 0; i < demonstrations.size(); i++) {
      Example d = demonstrations.get(i);
      demoOfPrompt.putIfAbsent(new Key(d.prompt(), new long[0]), i);
      List<Pair> into = heldOut.contains(i) ? fixedHeldOut : fixedTrain;
      for (Example s : this.baseSamples.get(i)) {
        if (!Arrays.equals(s.response(), d.response())) {
          into.add(new Pair(d, s, "base"));
        }
      }
      for (int k = 0; k < MISMATCHED && demonstrations.size() > 1; k++) {
        Example other = demonstrations.get(random.nextInt(demonstrations.size()));
        if (!Arrays.equals(other.prompt(), d.prompt()) && !Arrays.equals(other.response(), d.response())) {
          into.add(new Pair(d, new Example(d.prompt(), other.response()), "mismatch"));
        }
      }
      for (int k = 0; k < CUT && d.response().length > 2; k++) {
        int keep = 1 + random.nextInt(d.response().length - 2); // at least one token, never all but EOS
        long[] cut = Arrays.copyOf(d.response(), keep + 1);
        cut[keep] = d.response()[d.response().length - 1]; // the EOS, as a finished response ends
        into.add(new Pair(d, new Example(d.prompt(), cut), "cut"));
      }
      for (int k = 0; k < recipe.rewardSwapped() && d.response().length > 1 && words.length > 1; k++) {
        int at = random.nextInt(d.response().length - 1); // a word, never the final EOS
        long[] swapped = d.response().clone();
        swapped[at] = words[random.nextInt(words.length)];
        if (!Arrays.equals(swapped, d.response())) {
          into.add(new Pair(d, new Example(d.prompt(), swapped), "swap"));
        }
      }
    }
  }

  /** Indices of the demonstrations that only measure the head: an eighth, chosen by seed, when there are 8 or more. */
  private static Set<Integer> heldOut(int n, long seed) {
    if (n < 8) {
      return Set.of();
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed * 131 + 3));
    return Set.copyOf(order.subList(0, n / 8));
  }

  /** A zero head on π_0's features, with π_0's samples for every demonstration's prompt drawn now. */
  static FrozenHeadDiscriminator start(Recipe recipe, Policy base, List<Example> demonstrations) {
    List<Example> distinct = distinct(demonstrations);
    int longest = distinct.stream().mapToInt(e -> e.response().length).max().orElse(1);
    List<List<Example>> samples = new ArrayList<>();
    for (int from = 0; from < distinct.size(); from += 8) {
      List<Example> part = distinct.subList(from, Math.min(distinct.size(), from + 8));
      List<long[]> prompts = new ArrayList<>();
      int maxNew = longest + 8;
      for (Example d : part) {
        for (int k = 0; k < BASE_SAMPLES; k++) {
          prompts.add(d.prompt());
        }
        maxNew = Math.min(maxNew, base.config().contextLength() - d.prompt().length);
      }
      List<Sample> drawn = base.generate(prompts, SamplingConfig.sample(Math.max(1, maxNew)), recipe.seed() + from);
      for (int i = 0; i < part.size(); i++) {
        List<Example> mine = new ArrayList<>();
        for (int k = 0; k < BASE_SAMPLES; k++) {
          long[] r = drawn.get(i * BASE_SAMPLES + k).responseIds();
          if (r.length > 0) {
            mine.add(new Example(part.get(i).prompt(), r));
          }
        }
        samples.add(mine);
      }
    }
    RewardEnsemble ensemble = RewardEnsemble.fromPolicy(base, recipe.rewardMembers(), recipe.seed(), 0.0);
    return new FrozenHeadDiscriminator(recipe, ensemble, distinct, samples);
  }

  /** The discriminator a learner checkpoint holds ({@link #save}). */
  @SuppressWarnings("unchecked")
  static FrozenHeadDiscriminator load(Path checkpoint, Recipe recipe) throws IOException {
    RewardEnsemble ensemble = RewardEnsemble.load(checkpoint.resolve(LearnerCheckpoint.REWARD), recipe.seed());
    Map<String, Object> state = JSON.readValue(checkpoint.resolve(PAIRS_FILE).toFile(), Map.class);
    List<Example> demos = examples((List<List<List<Number>>>) state.get("demonstrations"));
    List<List<Example>> samples = new ArrayList<>();
    for (List<List<List<Number>>> s : (List<List<List<List<Number>>>>) state.get("baseSamples")) {
      samples.add(examples(s));
    }
    return new FrozenHeadDiscriminator(recipe, ensemble, demos, samples);
  }

  @Override
  public void save(Path checkpoint) throws IOException {
    ensemble.save(checkpoint.resolve(LearnerCheckpoint.REWARD));
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("demonstrations", json(demonstrations));
    state.put("baseSamples", baseSamples.stream().map(FrozenHeadDiscriminator::json).toList());
    JSON.writeValue(checkpoint.resolve(PAIRS_FILE).toFile(), state);
  }

  @Override
  public RewardEnsemble ensemble() {
    return ensemble;
  }

  /**
   * Scores from the cached features and the heads: the same figures as the ensemble's own forward pass, and
   * as the rewarder's over the heads published alone ({@link RewardLine}).
   */
  @Override
  public RewardEnsemble.Scores score(List<Example> examples) {
    return RewardHeads.of(ensemble).score(featuresOf(examples));
  }

  @Override
  public void train(SamplePool pool, Random random, Map<String, Double> m) {
    if (recipe.rewardStepsPerUpdate() == 0) {
      return;
    }
    List<Pair> pairs = new ArrayList<>(fixedTrain);
    pairs.addAll(replayPairs(pool, false));
    if (pairs.isEmpty()) {
      return;
    }
    float[][] chosen = featuresOf(pairs.stream().map(Pair::chosen).toList());
    float[][] rejected = featuresOf(pairs.stream().map(Pair::rejected).toList());
    int d = chosen[0].length;
    float[][] diff = new float[pairs.size()][d];
    for (int i = 0; i < pairs.size(); i++) {
      for (int j = 0; j < d; j++) {
        diff[i][j] = chosen[i][j] - rejected[i][j];
      }
    }
    double loss = 0;
    for (int member = 0; member < ensemble.size(); member++) {
      RewardModel rm = ensemble.members().get(member);
      int[] rows = new int[diff.length];
      for (int i = 0; i < rows.length; i++) {
        // One member fits every pair; more fit bootstrap resamples, so their spread means something.
        rows[i] = ensemble.size() == 1 ? i : random.nextInt(diff.length);
      }
      float[] head = rm.head();
      double[] w = new double[d];
      for (int j = 0; j < d; j++) {
        w[j] = head[j];
      }
      loss += BradleyTerryHead.fit(w, diff, rows, FIT_STEPS * recipe.rewardStepsPerUpdate());
      float[] fw = new float[d];
      for (int j = 0; j < d; j++) {
        fw[j] = (float) w[j];
      }
      rm.setHead(fw, 0f);
    }
    m.put("reward.loss", loss / ensemble.size());
    m.put("reward.pairs", (double) pairs.size());
  }

  /**
   * Puts {@code reward.pair_accuracy} (the held-out demonstrations preferred over their negatives, by
   * kind too) and {@code reward.accuracy} (the same figure, what the dashboard plots) in {@code m}, and
   * {@code reward.heldout_demo_vs_sample}: on held-out prompts, how often a demonstration outscores the
   * current policy's samples.
   */
  @Override
  public void measure(SamplePool holdout, Map<String, Double> m) {
    if (!fixedHeldOut.isEmpty()) {
      Map<String, int[]> byKind = new LinkedHashMap<>();
      double[] c = score(fixedHeldOut.stream().map(Pair::chosen).toList()).mean();
      double[] r = score(fixedHeldOut.stream().map(Pair::rejected).toList()).mean();
      int right = 0;
      for (int i = 0; i < c.length; i++) {
        boolean ok = c[i] > r[i];
        right += ok ? 1 : 0;
        int[] counts = byKind.computeIfAbsent(fixedHeldOut.get(i).kind(), k -> new int[2]);
        counts[0] += ok ? 1 : 0;
        counts[1]++;
      }
      m.put("reward.pair_accuracy", (double) right / c.length);
      m.put("reward.accuracy", (double) right / c.length);
      byKind.forEach((k, counts) -> m.put("reward.pair_accuracy." + k, (double) counts[0] / counts[1]));
    }
    List<Pair> live = replayPairs(holdout, true);
    if (!live.isEmpty()) {
      double[] c = score(live.stream().map(Pair::chosen).toList()).mean();
      double[] r = score(live.stream().map(Pair::rejected).toList()).mean();
      int right = 0;
      for (int i = 0; i < c.length; i++) {
        right += c[i] > r[i] ? 1 : 0;
      }
      m.put("reward.heldout_demo_vs_sample", (double) right / c.length);
    }
  }

  /**
   * Demonstration ≻ current sample, for every sample in {@code pool} whose prompt has a demonstration:
   * the training demonstrations' ({@code heldOutPool} false) or, in the learner's held-out pool, any.
   */
  private List<Pair> replayPairs(SamplePool pool, boolean heldOutPool) {
    Map<Key, Example> demoByPrompt = new HashMap<>();
    for (Example d : pool.all(Source.DEMONSTRATIONS)) {
      demoByPrompt.putIfAbsent(new Key(d.prompt(), new long[0]), d);
    }
    List<Pair> out = new ArrayList<>();
    for (Example s : pool.all(Source.CURRENT_POLICY_SAMPLES)) {
      Key prompt = new Key(s.prompt(), new long[0]);
      Example d = demoByPrompt.get(prompt);
      Integer index = demoOfPrompt.get(prompt);
      boolean usable = heldOutPool || index == null || !heldOut.contains(index);
      if (d != null && usable && !Arrays.equals(d.response(), s.response())) {
        out.add(new Pair(d, s, "current"));
      }
    }
    return out;
  }

  /** Features of every example, from the cache or from member 0's frozen backbone (every member's is π_0). */
  private float[][] featuresOf(List<Example> examples) {
    float[][] out = new float[examples.size()][];
    List<Example> missing = new ArrayList<>();
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      float[] f = features.get(Key.of(examples.get(i)));
      if (f == null) {
        missing.add(examples.get(i));
        at.add(i);
      } else {
        out[i] = f;
      }
    }
    if (!missing.isEmpty()) {
      float[][] fresh = ensemble.members().get(0).features(missing);
      for (int j = 0; j < fresh.length; j++) {
        out[at.get(j)] = fresh[j];
        features.put(Key.of(missing.get(j)), fresh[j]);
      }
    }
    return out;
  }

  private static List<Example> distinct(List<Example> demonstrations) {
    Map<Key, Example> seen = new LinkedHashMap<>();
    demonstrations.forEach(d -> seen.putIfAbsent(Key.of(d), d));
    return new ArrayList<>(seen.values());
  }

  private static List<List<long[]>> json(List<Example> examples) {
    return examples.stream().map(e -> List.of(e.prompt(), e.response())).toList();
  }

  private static List<Example> examples(List<List<List<Number>>> json) {
    List<Example> out = new ArrayList<>();
    for (List<List<Number>> e : json) {
      out.add(new Example(longs(e.get(0)), longs(e.get(1))));
    }
    return out;
  }

  private static long[] longs(List<Number> xs) {
    long[] out = new long[xs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = xs.get(i).longValue();
    }
    return out;
  }

  @Override
  public void close() {
    ensemble.close();
  }
}
