package io.alignstream.learner;

import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.StepStats;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * Supervised fine-tuning whose learning rate and length adapt to the user's data: an eighth of the
 * demonstrations is held out, each learning rate of a small grid trains on the rest with the held-out
 * NLL measured as it goes, and the best (learning rate, steps) then trains on every demonstration. No
 * constant tuned on one task carries over to another: 150 steps at 3e-4, right for 500 built-in
 * demonstrations, left a planning task of 1,000 demonstrations over 5 prompts at 58% where tuned SFT
 * reached 84-93%.
 *
 * <p>Warm-up then a constant rate, so that stopping at step k of a trial is the same schedule as
 * training k steps. The learner's SFT stage and the demo's SFT-only baseline both use it: the baseline
 * is tuned exactly as carefully.
 */
public final class SftTuning {
  /** Learning rates tried, as multiples of {@code sft.lr}. */
  private static final double[] GRID = {1.0 / 3, 1.0, 3.0};
  private static final int WARMUP = 10;
  /** Steps between held-out measurements, and steps without improvement that end a trial. */
  static final int EVERY = 10;
  static final int PATIENCE = 50;

  /**
   * What the tuning chose.
   *
   * @param lr the learning rate
   * @param steps the step count (at most the budget)
   * @param heldOutNll the held-out NLL per response token there; NaN when nothing was held out
   * @param trials one line per learning rate tried, for the log and the report
   */
  public record Choice(double lr, int steps, double heldOutNll, List<String> trials) {
    public String describe() {
      return String.format(Locale.ROOT, "lr %.0e, %d steps%s", lr, steps,
          Double.isNaN(heldOutNll) ? " (too few demonstrations to hold any out: the recipe's)"
              : String.format(Locale.ROOT, " (held-out NLL %.3f; best of %s)", heldOutNll, String.join("; ", trials)));
    }
  }

  private SftTuning() {}

  /**
   * Chooses (lr, steps) by held-out NLL, measured every {@link #EVERY} steps, each trial stopping once
   * the NLL has not improved for {@link #PATIENCE} steps. The measuring points do not depend on the
   * budget, so two budgets that both outlast the early stop choose the same: the demo's SFT-only
   * baseline (a larger budget) and the learner's SFT stage differed by 1.6 points greedy on a seed only
   * because their measuring points were budget / 20 apart. With fewer than 8 demonstrations nothing is
   * held out and the choice is ({@code lr}, {@code maxSteps}).
   *
   * @param onStep called after every trial step with the count of steps so far, for progress
   */
  public static Choice choose(Policy base, List<Example> demonstrations, int maxSteps, int batch, double lr, long seed,
      IntConsumer onStep) {
    if (demonstrations.size() < 8 || maxSteps == 0) {
      return new Choice(lr, maxSteps, Double.NaN, List.of());
    }
    List<Example> order = canonical(demonstrations);
    Collections.shuffle(order, new Random(seed ^ 0x51F7L));
    List<Example> valid = order.subList(0, order.size() / 8);
    List<Example> train = order.subList(order.size() / 8, order.size());
    int every = EVERY;
    int patience = PATIENCE;
    double bestNll = Double.POSITIVE_INFINITY;
    double bestLr = lr;
    int bestSteps = maxSteps;
    List<String> trials = new ArrayList<>();
    int done = 0;
    for (double factor : GRID) {
      double rate = lr * factor;
      double trialBest = Double.POSITIVE_INFINITY;
      int trialSteps = 0;
      try (Policy p = base.copy(); PolicyTrainer t = trainer(p, rate, maxSteps)) {
        Batches batches = new Batches(train, batch, seed);
        for (int step = 1; step <= maxSteps; step++) {
          t.sftStep(batches.next());
          onStep.accept(++done);
          if (step % every == 0 || step == maxSteps) {
            double nll = nllPerToken(p, valid);
            if (nll < trialBest) {
              trialBest = nll;
              trialSteps = step;
            } else if (step - trialSteps >= patience) {
              break;
            }
          }
        }
      }
      trials.add(String.format(Locale.ROOT, "%.0e: %.3f at %d", rate, trialBest, trialSteps));
      if (trialBest < bestNll) {
        bestNll = trialBest;
        bestLr = rate;
        bestSteps = trialSteps;
      }
    }
    return new Choice(bestLr, bestSteps, bestNll, trials);
  }

  /**
   * Trains {@code policy} for {@code steps} steps of {@code batch} demonstrations at {@code lr}
   * (epochs shuffled by {@code seed}).
   *
   * @return the last step's statistics, or null when {@code steps} is 0
   */
  public static StepStats train(Policy policy, List<Example> demonstrations, int steps, int batch, double lr, long seed,
      IntConsumer onStep) {
    StepStats last = null;
    if (steps == 0) {
      return null;
    }
    try (PolicyTrainer t = trainer(policy, lr, steps)) {
      Batches batches = new Batches(canonical(demonstrations), batch, seed);
      for (int step = 1; step <= steps; step++) {
        last = t.sftStep(batches.next());
        onStep.accept(step);
      }
    }
    return last;
  }

  private static PolicyTrainer trainer(Policy p, double lr, int steps) {
    int warmup = Math.min(WARMUP, Math.max(1, steps / 10));
    return new PolicyTrainer(p, new AdamW(AdamWConfig.defaults(),
        new LrSchedule(lr, warmup, 0, LrSchedule.Decay.CONSTANT, 1.0)));
  }

  /**
   * The demonstrations in an order of their own (by token ids), so that the same demonstrations give
   * the same split and the same batches however they arrived: the learner reads them from Kafka in
   * ingest order, the demo's SFT-only baseline from the task, and the two chose differently before.
   */
  private static List<Example> canonical(List<Example> demonstrations) {
    List<Example> out = new ArrayList<>(demonstrations);
    out.sort((a, b) -> {
      int c = java.util.Arrays.compare(a.prompt(), b.prompt());
      return c != 0 ? c : java.util.Arrays.compare(a.response(), b.response());
    });
    return out;
  }

  /** Mean NLL per response token: comparable across demonstrations of any length. */
  static double nllPerToken(Policy p, List<Example> examples) {
    double[] logProbs = p.sequenceLogProbs(examples);
    double nll = 0;
    long tokens = 0;
    for (int i = 0; i < logProbs.length; i++) {
      nll -= logProbs[i];
      tokens += examples.get(i).response().length;
    }
    return nll / Math.max(1, tokens);
  }

  /** Shuffled epochs of batches, the same for the same seed. */
  private static final class Batches {
    private final List<Example> order;
    private final int size;
    private final Random random;
    private int cursor;

    Batches(List<Example> data, int size, long seed) {
      this.order = new ArrayList<>(data);
      this.size = size;
      this.random = new Random(seed);
      this.cursor = order.size();
    }

    List<Example> next() {
      List<Example> batch = new ArrayList<>(size);
      while (batch.size() < size) {
        if (cursor == order.size()) {
          Collections.shuffle(order, random);
          cursor = 0;
        }
        batch.add(order.get(cursor++));
      }
      return batch;
    }
  }
}
