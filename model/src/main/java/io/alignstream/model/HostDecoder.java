package io.alignstream.model;

import java.util.Arrays;
import java.util.List;

/**
 * Decoding on the JVM, over weights copied out of libtorch once per version ({@link Network.Host}): no
 * native call per operation, which is what bounds batch-1 decoding of small models in libtorch. Rows are
 * independent: each keeps its own keys and values and its own positions, so no padding and no masks are
 * needed. A family gives its {@link Forward} pass; this class tracks the rows and holds the caches.
 */
public final class HostDecoder implements TokenDecoder {
  /** A family's forward pass over one set of host weights. */
  @FunctionalInterface
  public interface Forward {
    /**
     * Runs {@code tokens.length} tokens through the network, token i of row {@code rows[i]} at position
     * {@code positions[i]}, appending each one's keys and values to its row's cache in {@code caches}
     * (one per layer; a row's tokens are consecutive and in position order), and returns the next-token
     * logits after the last token of every row.
     *
     * @param batch number of rows; every row has at least one token here
     * @return (batch, vocab) row-major
     */
    float[] forward(Cache[] caches, int batch, int[] rows, int[] positions, long[] tokens);
  }

  /** One token's normalisation into {@code out} at {@code outOff}: the family's final norm. */
  @FunctionalInterface
  public interface RowNorm {
    void apply(float[] x, int off, float[] out, int outOff);
  }

  private final int layers;
  private final int cacheWidth;
  private final Forward network;
  private Cache[] caches; // one per layer, made with the batch of prompts
  private int[] lengths; // tokens already in each row's cache

  /**
   * @param layers blocks, each with its own key/value cache
   * @param cacheWidth key/value width of one token in one layer (key/value heads x head width)
   */
  public HostDecoder(int layers, int cacheWidth, Forward network) {
    this.layers = layers;
    this.cacheWidth = cacheWidth;
    this.network = network;
  }

  private float[] forward(int batch, int[] rows, int[] positions, long[] tokens) {
    return network.forward(caches, batch, rows, positions, tokens);
  }

  /**
   * Causal attention of every token over its row's cache, head by head: the softmax of q k / sqrt(hw)
   * over the row's positions up to its own, times the values. Query head h reads key/value head
   * {@code h / group}.
   *
   * @param q (n, stride) with the query heads, each {@code headWidth} wide, from {@code qOff}
   * @param out (n, heads x headWidth), overwritten
   */
  public static void attend(Cache cache, int[] rows, int[] positions, float[] q, int qOff, int qStride, int heads,
      int headWidth, int group, float[] out) {
    int n = rows.length;
    int width = heads * headWidth;
    float scale = (float) (1.0 / Math.sqrt(headWidth));
    float[] scores = new float[positions[n - 1] + 1 + n];
    Arrays.fill(out, 0, n * width, 0f);
    for (int t = 0; t < n; t++) {
      int keys = positions[t] + 1; // causal: itself and everything before it in its row
      if (scores.length < keys) {
        scores = new float[Math.max(keys, 2 * scores.length)];
      }
      float[] k = cache.keys(rows[t]);
      float[] v = cache.values(rows[t]);
      for (int h = 0; h < heads; h++) {
        int qo = t * qStride + qOff + h * headWidth;
        int kvo = (h / group) * headWidth;
        for (int j = 0; j < keys; j++) {
          scores[j] = HostMath.dot(q, qo, k, j * cache.width + kvo, headWidth) * scale;
        }
        HostMath.softmax(scores, 0, keys);
        for (int j = 0; j < keys; j++) {
          HostMath.axpy(scores[j], v, j * cache.width + kvo, out, t * width + h * headWidth, headWidth);
        }
      }
    }
  }

  /**
   * Logits only after each row's last token: its hidden state (width {@code d} in {@code x}) through
   * {@code norm} and the output layer; (batch, vocab) row-major.
   */
  public static float[] lastLogits(int batch, int[] rows, float[] x, int d, RowNorm norm, HostMath.Matrix output,
      int vocab) {
    int n = rows.length;
    float[] last = new float[batch * d];
    for (int t = 0; t < n; t++) {
      if (t == n - 1 || rows[t + 1] != rows[t]) {
        norm.apply(x, t * d, last, rows[t] * d);
      }
    }
    float[] logits = new float[batch * vocab];
    HostMath.linear(last, batch, output, null, logits);
    return logits;
  }

  @Override
  public final float[] prefill(List<long[]> prompts) {
    if (lengths != null) {
      throw new IllegalStateException("a decoder takes one batch of prompts");
    }
    int batch = prompts.size();
    lengths = new int[batch];
    caches = new Cache[layers];
    for (int l = 0; l < layers; l++) {
      caches[l] = new Cache(batch, cacheWidth);
    }
    int total = prompts.stream().mapToInt(p -> p.length).sum();
    int[] rows = new int[total];
    int[] positions = new int[total];
    long[] tokens = new long[total];
    int i = 0;
    for (int b = 0; b < batch; b++) {
      long[] p = prompts.get(b);
      for (int t = 0; t < p.length; t++, i++) {
        rows[i] = b;
        positions[i] = t;
        tokens[i] = p[t];
      }
      lengths[b] = p.length;
    }
    return forward(batch, rows, positions, tokens);
  }

  @Override
  public final float[] step(long[] next) {
    int batch = lengths.length;
    int[] rows = new int[batch];
    int[] positions = new int[batch];
    for (int b = 0; b < batch; b++) {
      rows[b] = b;
      positions[b] = lengths[b]++;
    }
    return forward(batch, rows, positions, Arrays.copyOf(next, batch));
  }

  @Override
  public void close() {}

  /**
   * Keys and values of one layer, per row, position-major ({@code [position][width]}, width = key/value
   * heads x head width), grown by doubling as rows get longer.
   */
  public static final class Cache {
    private final int width;
    private final float[][] keys; // per row
    private final float[][] values; // per row

    public Cache(int batch, int width) {
      this.width = width;
      this.keys = new float[batch][width * 16];
      this.values = new float[batch][width * 16];
    }

    /** Stores the keys and values (each {@code width} long, from the offsets) of a row's position. */
    public void put(int row, int position, float[] k, int kOff, float[] v, int vOff) {
      int need = (position + 1) * width;
      if (need > keys[row].length) {
        int grown = Math.max(need, 2 * keys[row].length);
        keys[row] = Arrays.copyOf(keys[row], grown);
        values[row] = Arrays.copyOf(values[row], grown);
      }
      System.arraycopy(k, kOff, keys[row], position * width, width);
      System.arraycopy(v, vOff, values[row], position * width, width);
    }

    /** A row's keys, {@code [position][width]}. */
    public float[] keys(int row) {
      return keys[row];
    }

    /** A row's values, {@code [position][width]}. */
    public float[] values(int row) {
      return values[row];
    }
  }
}
