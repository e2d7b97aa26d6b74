package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * Incremental decoding of a batch over one weights snapshot with a KV cache: a pass over the prompts,
 * then one token per row per step, each returning the next-token logits of every row.
 *
 * <p>Prompts of different lengths are left-padded so that every row appends its next token at the
 * same cache column; padded key columns are masked out and each row's position ids start at 0 at its
 * first real token, so a row decodes exactly as it would alone.
 *
 * <p>One thread: a decoder switches autograd off on the thread that opens it until it is closed, so
 * no step records a graph. Its arrays live in a sub-manager of the caller's, closed with it.
 */
final class Decoder implements AutoCloseable {
  private final ModelConfig c;
  private final Network.Pass pass;
  private final DataType type;
  private final NDManager m;
  private final KvCache cache;
  private final GradMode gradOff;
  private int[] pad;
  private int longest;
  private boolean padded;
  private int steps;

  Decoder(ModelConfig c, Weights w, NDManager parent) {
    this.c = c;
    this.type = w.dataType();
    this.gradOff = GradMode.off();
    this.m = parent.newSubManager();
    try {
      // No backward runs here, so constants made once serve every decoding step.
      this.pass = c.network().decoding(w, m);
      this.cache = new KvCache(m, c.layers());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * The pass over the prompts (each non-empty); returns the logits of each row's next token.
   *
   * @return (batch, vocab) row-major
   */
  float[] prefill(List<long[]> prompts) {
    if (pad != null) {
      throw new IllegalStateException("a decoder takes one batch of prompts");
    }
    int batch = prompts.size();
    longest = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
    pad = new int[batch];
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
    padded = Arrays.stream(pad).anyMatch(n -> n > 0);
    float[] promptMask = new float[batch * longest * longest]; // (batch, 1, longest, longest)
    for (int b = 0; b < batch; b++) {
      for (int q = 0; q < longest; q++) {
        for (int k = 0; k < longest; k++) {
          boolean visible = k <= q && k >= pad[b];
          promptMask[(b * longest + q) * longest + k] = visible ? 0f : (float) AttentionMask.MASKED;
        }
      }
    }
    try (NDManager step = m.newSubManager()) {
      NDArray x = step.create(ids, new Shape(batch, longest));
      NDArray pos = step.create(positions, new Shape(batch, longest));
      NDArray mask = AttentionMask.of(step, promptMask, new Shape(batch, 1, longest, longest), type);
      NDArray h = pass.hidden(x, pos, mask, cache); // (batch, longest, d)
      NDArray last = h.get(":, -1, :"); // (batch, d)
      return pass.logits(last).toType(DataType.FLOAT32, false).toFloatArray(); // (batch, vocab)
    }
  }

  /**
   * Appends one token per row (finished rows are fed anything, e.g. the EOS; their outputs are
   * ignored) and returns the logits of the token after it.
   *
   * @return (batch, vocab) row-major
   */
  float[] step(long[] next) {
    int batch = pad.length;
    int keys = longest + steps + 1;
    float[] stepMask = padded ? new float[batch * keys] : null; // (batch, 1, 1, keys)
    long[] stepPos = new long[batch];
    for (int b = 0; b < batch; b++) {
      for (int k = 0; k < pad[b]; k++) {
        stepMask[b * keys + k] = (float) AttentionMask.MASKED;
      }
      stepPos[b] = longest - pad[b] + steps;
    }
    steps++;
    try (NDManager step = m.newSubManager()) {
      NDArray x = step.create(next, new Shape(batch, 1));
      NDArray pos = step.create(stepPos, new Shape(batch, 1));
      // One query per row sees every cached key unless the row is left-padded.
      NDArray mask = padded ? AttentionMask.of(step, stepMask, new Shape(batch, 1, 1, keys), type) : null;
      NDArray h = pass.hidden(x, pos, mask, cache); // (batch, 1, d)
      return pass.logits(h.reshape(batch, c.width())).toType(DataType.FLOAT32, false).toFloatArray();
    }
  }

  @Override
  public void close() {
    try {
      m.close(); // the cache's manager is a child of m
    } finally {
      gradOff.close();
    }
  }
}
