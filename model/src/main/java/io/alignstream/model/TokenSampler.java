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
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      sum += Math.exp(logits[offset + i] - max);
    }
    double logZ = max + Math.log(sum);
    int token = config.isGreedy() ? argmax : draw(logits, offset, vocab, max);
    return new Choice(token, (float) (logits[offset + token] - logZ));
  }

  private int draw(float[] logits, int offset, int vocab, double max) {
    double invT = 1.0 / config.temperature();
    double[] p = new double[vocab];
    double total = 0;
    for (int i = 0; i < vocab; i++) {
      p[i] = Math.exp((logits[offset + i] - max) * invT);
      total += p[i];
    }
    boolean truncate = config.topK() > 0 && config.topK() < vocab || config.topP() < 1.0;
    if (!truncate) {
      return inverseCdf(p, total, vocab);
    }
    // Sort by probability (ties by id, so the order is deterministic) and keep the allowed prefix.
    Integer[] boxed = new Integer[vocab];
    for (int i = 0; i < vocab; i++) {
      boxed[i] = i;
    }
    java.util.Arrays.sort(boxed, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
    int keep = config.topK() > 0 ? Math.min(config.topK(), vocab) : vocab;
    double mass = 0;
    int kept = 0;
    for (; kept < keep; kept++) {
      mass += p[boxed[kept]];
      if (mass >= config.topP() * total) {
        kept++;
        break;
      }
    }
    double u = random.nextDouble() * mass;
    double acc = 0;
    for (int j = 0; j < kept; j++) {
      acc += p[boxed[j]];
      if (u < acc) {
        return boxed[j];
      }
    }
    return boxed[kept - 1];
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
