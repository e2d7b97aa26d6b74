package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Batched incremental decoding with a KV cache.
 *
 * <p>Prompts of different lengths are left-padded so that every row appends its next token at the
 * same cache column; padded key columns are masked out and each row's position ids start at 0 at its
 * first real token, so a row decodes exactly as it would alone. Rows that have finished keep being
 * fed EOS (their outputs are ignored) until every row is done or the limit is reached.
 */
final class Generation {
  /** Receives the raw next-token logits (batch, vocab) of every decoding step; for tests. */
  interface LogitsProbe {
    void step(int step, float[] logits);
  }

  private Generation() {}

  static List<Sample> run(GptConfig c, Weights w, NDManager m, List<long[]> prompts, SamplingConfig sampling,
      long seed, long version, LogitsProbe probe) {
    int batch = prompts.size();
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
    int maxNew = Math.min(sampling.maxNewTokens(), c.contextLength() - longest);
    int vocab = c.vocabSize();
    DataType type = w.dataType();

    int[] pad = new int[batch];
    long[] ids = new long[batch * longest];
    long[] positions = new long[batch * longest];
    Arrays.fill(ids, c.eosTokenId());
    for (int b = 0; b < batch; b++) {
      long[] p = prompts.get(b);
      pad[b] = longest - p.length;
      System.arraycopy(p, 0, ids, b * longest + pad[b], p.length);
      for (int t = pad[b]; t < longest; t++) {
        positions[b * longest + t] = t - pad[b];
      }
    }
    float[] promptMask = new float[batch * longest * longest]; // (batch, 1, longest, longest)
    for (int b = 0; b < batch; b++) {
      for (int q = 0; q < longest; q++) {
        for (int k = 0; k < longest; k++) {
          boolean visible = k <= q && k >= pad[b];
          promptMask[(b * longest + q) * longest + k] = visible ? 0f : (float) GptNetwork.MASKED;
        }
      }
    }

    TokenSampler[] samplers = new TokenSampler[batch];
    List<List<Long>> tokens = new ArrayList<>();
    List<List<Float>> logProbs = new ArrayList<>();
    boolean[] done = new boolean[batch];
    boolean[] eos = new boolean[batch];
    for (int b = 0; b < batch; b++) {
      samplers[b] = new TokenSampler(sampling, mix(seed, b));
      tokens.add(new ArrayList<>());
      logProbs.add(new ArrayList<>());
    }

    // No backward runs here, so constants made once in m serve every decoding step.
    GptNetwork.Constants constants = GptNetwork.Constants.forDecoding(m, w, c);
    boolean padded = Arrays.stream(pad).anyMatch(n -> n > 0);
    try (GptNetwork.KvCache cache = new GptNetwork.KvCache(m, c.layers())) {
      float[] logits;
      try (NDManager step = m.newSubManager()) {
        NDArray x = step.create(ids, new Shape(batch, longest));
        NDArray pos = step.create(positions, new Shape(batch, longest));
        NDArray mask = GptNetwork.mask(step, promptMask, new Shape(batch, 1, longest, longest), type);
        NDArray h = GptNetwork.hidden(c, w, step, x, pos, mask, cache, constants); // (batch, longest, d)
        NDArray last = h.get(":, -1, :"); // (batch, d)
        logits = GptNetwork.logits(w, last).toType(DataType.FLOAT32, false).toFloatArray(); // (batch, vocab)
      }
      for (int t = 0; t < maxNew; t++) {
        if (probe != null) {
          probe.step(t, logits);
        }
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
          if (sampling.stopAtEos() && choice.token() == c.eosTokenId()) {
            done[b] = true;
            eos[b] = true;
          } else {
            active++;
          }
        }
        if (active == 0 || t == maxNew - 1) {
          break;
        }
        int keys = longest + t + 1;
        float[] stepMask = padded ? new float[batch * keys] : null; // (batch, 1, 1, keys)
        long[] stepPos = new long[batch];
        for (int b = 0; b < batch; b++) {
          for (int k = 0; k < pad[b]; k++) {
            stepMask[b * keys + k] = (float) GptNetwork.MASKED;
          }
          stepPos[b] = longest - pad[b] + t;
        }
        try (NDManager step = m.newSubManager()) {
          NDArray x = step.create(next, new Shape(batch, 1));
          NDArray pos = step.create(stepPos, new Shape(batch, 1));
          // One query per row sees every cached key unless the row is left-padded.
          NDArray mask = padded ? GptNetwork.mask(step, stepMask, new Shape(batch, 1, 1, keys), type) : null;
          NDArray h = GptNetwork.hidden(c, w, step, x, pos, mask, cache, constants); // (batch, 1, d)
          logits = GptNetwork.logits(w, h.reshape(batch, c.width())).toType(DataType.FLOAT32, false).toFloatArray();
        }
      }
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
      out.add(new Sample(r, lp, eos[b], sampling, version));
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
