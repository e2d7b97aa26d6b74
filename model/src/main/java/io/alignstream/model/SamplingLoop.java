package io.alignstream.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Batched sampling over a {@link TokenDecoder}: every row draws its next token from the decoder's logits
 * with its own seeded {@link TokenSampler} and records the token's behaviour log-prob. Rows may differ
 * in temperature and truncation (a greedy row beside sampled ones) but share the length limit and the
 * EOS rule. Rows that have finished keep being fed EOS (their outputs are ignored) until every row is
 * done or the limit is reached.
 */
final class SamplingLoop {
  private SamplingLoop() {}

  /**
   * @param sampling one per prompt; all with the same {@code maxNewTokens} and {@code stopAtEos}
   */
  static List<Sample> run(ModelConfig c, TokenDecoder decoder, List<long[]> prompts, List<SamplingConfig> sampling,
      long seed, long version) {
    int batch = prompts.size();
    if (sampling.size() != batch) {
      throw new IllegalArgumentException(sampling.size() + " sampling settings for " + batch + " prompts");
    }
    SamplingConfig first = sampling.get(0);
    for (SamplingConfig s : sampling) {
      if (s.maxNewTokens() != first.maxNewTokens() || s.stopAtEos() != first.stopAtEos()) {
        throw new IllegalArgumentException("rows decoded together share maxNewTokens and stopAtEos: " + first + " vs " + s);
      }
    }
    int longest = 0;
    for (long[] p : prompts) {
      if (p.length == 0) {
        throw new IllegalArgumentException("empty prompt: prepend the BOS id (" + c.bosTokenId() + ")");
      }
      longest = Math.max(longest, p.length);
    }
    if (longest >= c.contextLength()) {
      throw new IllegalArgumentException("prompt of " + longest + " tokens leaves no room in the context of "
          + c.contextLength());
    }
    int maxNew = Math.min(first.maxNewTokens(), c.contextLength() - longest);
    int vocab = c.vocabSize();

    TokenSampler[] samplers = new TokenSampler[batch];
    List<List<Long>> tokens = new ArrayList<>();
    List<List<Float>> logProbs = new ArrayList<>();
    boolean[] done = new boolean[batch];
    boolean[] eos = new boolean[batch];
    for (int b = 0; b < batch; b++) {
      samplers[b] = new TokenSampler(sampling.get(b), mix(seed, b));
      tokens.add(new ArrayList<>());
      logProbs.add(new ArrayList<>());
    }

    float[] logits = decoder.prefill(prompts);
    for (int t = 0; t < maxNew; t++) {
      long[] next = new long[batch];
      int active = 0;
      for (int b = 0; b < batch; b++) {
        if (done[b]) {
          next[b] = c.eosTokenId();
          continue;
        }
        TokenSampler.Choice choice = samplers[b].next(logits, b * vocab, vocab);
        tokens.get(b).add((long) choice.token());
        logProbs.get(b).add(choice.logProb());
        next[b] = choice.token();
        if (first.stopAtEos() && c.isEnd(choice.token())) {
          done[b] = true;
          eos[b] = true;
        } else {
          active++;
        }
      }
      if (active == 0 || t == maxNew - 1) {
        break;
      }
      logits = decoder.step(next);
    }

    List<Sample> out = new ArrayList<>(batch);
    for (int b = 0; b < batch; b++) {
      List<Long> tk = tokens.get(b);
      long[] r = new long[tk.size()];
      float[] lp = new float[tk.size()];
      for (int i = 0; i < r.length; i++) {
        r[i] = tk.get(i);
        lp[i] = logProbs.get(b).get(i);
      }
      out.add(new Sample(r, lp, eos[b], sampling.get(b), version));
    }
    return out;
  }

  /** Independent, reproducible stream per row: SplitMix-style mixing of (seed, row). */
  static long mix(long seed, int row) {
    long z = seed + 0x9E3779B97F4A7C15L * (row + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
