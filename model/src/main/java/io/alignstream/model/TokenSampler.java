package io.alignstream.model;

import java.util.SplittableRandom;

/**
 * Picks the next token of one row from its logits, and reports that token's log-prob under the
 * unmodified distribution (temperature 1, no truncation) whatever the sampling settings were.
 * Runs in Java on a copy of the logits: deterministic for a given random stream.
 */
final class TokenSampler {
  private final SamplingConfig config;
  private final SplittableRandom random;

  TokenSampler(SamplingConfig config, long seed) {
    this.config = config;
    this.random = new SplittableRandom(seed);
  }

  /** Chosen token id and its log-prob under the raw logits. */
  record Choice(int token, float logProb) {}

  /**
   * @param logits raw logits of one row, read from {@code offset} for {@code vocab} entries
   */
  Choice next(float[] logits, int offset, int vocab) {
    double max = Double.NEGATIVE_INFINITY;
    int argmax = 0;
    for (int i = 0; i < vocab; i++) {
      if (logits[offset + i] > max) {
        max = logits[offset + i];
        argmax = i;
      }
    }
    double[] terms = new double[vocab]; // exp(logit - max): the temperature-1 weights
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      terms[i] = Math.exp(logits[offset + i] - max);
      sum += terms[i];
    }
    double logZ = max + Math.log(sum);
    int token = config.isGreedy() ? argmax : draw(logits, offset, vocab, max, terms, sum);
    return new Choice(token, (float) (logits[offset + token] - logZ));
  }

  /** @param terms exp(logit - max), which are the weights themselves at temperature 1, with their sum */
  private int draw(float[] logits, int offset, int vocab, double max, double[] terms, double sum) {
    double invT = 1.0 / config.temperature();
    double[] p = terms;
    double total = sum;
    if (invT != 1.0) {
      p = new double[vocab];
      total = 0;
      for (int i = 0; i < vocab; i++) {
        p[i] = Math.exp((logits[offset + i] - max) * invT);
        total += p[i];
      }
    }
    boolean truncate = config.topK() > 0 && config.topK() < vocab || config.topP() < 1.0;
    if (!truncate) {
      return inverseCdf(p, total, vocab);
    }
    // Only the head of the distribution can be in a top-k / nucleus set. Sort the tokens with
    // p >= maxP * 1e-4 (a few hundred of 50k): if they already hold k tokens or the nucleus mass,
    // every excluded token is smaller than all of them and the set is exact; otherwise sort all.
    int keep = config.topK() > 0 ? Math.min(config.topK(), vocab) : vocab;
    double target = config.topP() * total;
    Integer[] order = candidates(p, vocab, 1e-4);
    int kept = prefix(order, p, keep, target);
    if (kept < 0) {
      order = candidates(p, vocab, 0);
      kept = prefix(order, p, keep, target);
    }
    double mass = 0;
    for (int j = 0; j < kept; j++) {
      mass += p[order[j]];
    }
    double u = random.nextDouble() * mass;
    double acc = 0;
    for (int j = 0; j < kept; j++) {
      acc += p[order[j]];
      if (u < acc) {
        return order[j];
      }
    }
    return order[kept - 1];
  }

  /** Ids with p >= max(p) * relative, by falling probability (ties by id, so the order is deterministic). */
  private static Integer[] candidates(double[] p, int vocab, double relative) {
    double max = 0;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, p[i]);
    }
    double cut = max * relative;
    java.util.List<Integer> ids = new java.util.ArrayList<>();
    for (int i = 0; i < vocab; i++) {
      if (p[i] >= cut) {
        ids.add(i);
      }
    }
    Integer[] order = ids.toArray(new Integer[0]);
    java.util.Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
    return order;
  }

  /**
   * Length of the kept prefix: the first {@code keep} tokens, cut after the token that reaches
   * {@code target} mass; -1 when {@code order} is too short to decide.
   */
  private static int prefix(Integer[] order, double[] p, int keep, double target) {
    double mass = 0;
    for (int j = 0; j < order.length; j++) {
      mass += p[order[j]];
      if (j + 1 == keep || mass >= target) {
        return j + 1;
      }
    }
    return order.length == p.length ? order.length : -1;
  }

  private int inverseCdf(double[] p, double total, int vocab) {
    double u = random.nextDouble() * total;
    double acc = 0;
    for (int i = 0; i < vocab; i++) {
      acc += p[i];
      if (u < acc) {
        return i;
      }
    }
    for (int i = vocab - 1; i >= 0; i--) {
      if (p[i] > 0) {
        return i;
      }
    }
    return vocab - 1;
  }
}
