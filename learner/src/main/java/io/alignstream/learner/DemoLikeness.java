package io.alignstream.learner;

import io.alignstream.model.Example;
import io.alignstream.model.RewardModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How many of a policy's answers fall among the demonstrations, in the frozen feature space of π_0
 * (the mean final hidden state over the response, {@link RewardModel#features}, each dimension scaled
 * by the demonstrations' spread): the precision of precision and recall for generative models
 * (Kynkäänniemi et al., 2019). Each demonstration holds a ball reaching its {@link #K}-th nearest
 * other demonstration; an answer counts when it lies in the ball of a demonstration of its own prompt,
 * or of any prompt when its prompt has none (a practice prompt). An answer of a kind the
 * demonstrations show tends to fall in a ball; a habitual bad reply or a collapse to nonsense does not.
 *
 * <p>It is measured afresh and fitted to nothing, so a policy cannot have been optimised against it
 * (unlike the reward model), and it does not mind a policy that gives one of the demonstrated answers
 * every time (unlike a two-sample test, which counts the missing variety against it).
 */
public final class DemoLikeness {
  /** The ball of a demonstration reaches its K-th nearest other demonstration (the paper's choice, 3). */
  static final int K = 3;
  /** Added to each dimension's spread, so that a dimension the demonstrations never vary does not dominate. */
  private static final double SPREAD_FLOOR = 1e-3;

  /**
   * @param precision share of the answers in a demonstration's ball (higher: more of them demonstration-like)
   * @param meanDistance mean distance of an answer to its nearest demonstration (reported; lower is closer)
   * @param answers how many answers were measured
   */
  public record Measure(double precision, double meanDistance, int answers) {}

  private final RewardModel features;
  private final float[][] demo;
  private final double[] spread;
  private final double[] radius;
  private final Map<String, List<Integer>> byPrompt = new HashMap<>();
  private final List<Integer> all = new ArrayList<>();

  /** The demonstrations to measure against, in {@code features}' space (frozen, the same for every policy). */
  public DemoLikeness(RewardModel features, List<Example> demonstrations) {
    if (demonstrations.isEmpty()) {
      throw new IllegalArgumentException("no demonstrations to measure against");
    }
    this.features = features;
    this.demo = features.features(demonstrations);
    int d = demo[0].length;
    double[] mean = new double[d];
    spread = new double[d];
    for (float[] x : demo) {
      for (int j = 0; j < d; j++) {
        mean[j] += x[j] / demo.length;
      }
    }
    for (float[] x : demo) {
      for (int j = 0; j < d; j++) {
        spread[j] += (x[j] - mean[j]) * (x[j] - mean[j]) / demo.length;
      }
    }
    for (int j = 0; j < d; j++) {
      spread[j] = Math.sqrt(spread[j]) + SPREAD_FLOOR;
    }
    for (int i = 0; i < demo.length; i++) {
      byPrompt.computeIfAbsent(key(demonstrations.get(i).prompt()), k -> new ArrayList<>()).add(i);
      all.add(i);
    }
    radius = new double[demo.length];
    for (int i = 0; i < demo.length; i++) {
      double[] others = new double[demo.length - 1];
      for (int k = 0, o = 0; k < demo.length; k++) {
        if (k != i) {
          others[o++] = distance(demo[i], demo[k]);
        }
      }
      Arrays.sort(others);
      radius[i] = others.length == 0 ? 0 : others[Math.min(K, others.length) - 1];
    }
  }

  /** Measures the answers, each against its own prompt's demonstrations when it has some, else against all. */
  public Measure measure(List<Example> answers) {
    if (answers.isEmpty()) {
      return new Measure(Double.NaN, Double.NaN, 0);
    }
    float[][] x = features.features(answers);
    double sum = 0;
    int within = 0;
    for (int i = 0; i < x.length; i++) {
      double nearest = Double.POSITIVE_INFINITY;
      boolean inside = false;
      for (int k : byPrompt.getOrDefault(key(answers.get(i).prompt()), all)) {
        double d = distance(x[i], demo[k]);
        nearest = Math.min(nearest, d);
        inside |= d <= radius[k];
      }
      sum += nearest;
      within += inside ? 1 : 0;
    }
    return new Measure(within / (double) x.length, sum / x.length, x.length);
  }

  private double distance(float[] a, float[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      double d = (a[j] - b[j]) / spread[j];
      s += d * d;
    }
    return Math.sqrt(s);
  }

  private static String key(long[] prompt) {
    return Arrays.toString(prompt);
  }
}
