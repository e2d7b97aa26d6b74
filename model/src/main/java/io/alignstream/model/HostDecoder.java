package io.alignstream.model;

import java.util.Arrays;
import java.util.List;

/**
 * Decoding on the JVM, over weights copied out of libtorch once per version ({@link Network.Host}): no
 * native call per operation, which is what bounds batch-1 decoding of small models in libtorch. Rows are
 * independent: each keeps its own keys and values and its own positions, so no padding and no masks are
 * needed. A family implements {@link #forward}; this class tracks the rows.
 */
public abstract class HostDecoder implements TokenDecoder {
  private int[] lengths; // tokens already in each row's cache

  /**
   * Runs {@code tokens.length} tokens through the network, token i of row {@code rows[i]} at position
   * {@code positions[i]}, appending each one's keys and values to its row's cache (a row's tokens are
   * consecutive and in position order), and returns the next-token logits after the last token of every
   * row.
   *
   * @param batch number of rows; every row has at least one token here
   * @return (batch, vocab) row-major
   */
  protected abstract float[] forward(int batch, int[] rows, int[] positions, long[] tokens);

  @Override
  public final float[] prefill(List<long[]> prompts) {
    if (lengths != null) {
      throw new IllegalStateException("a decoder takes one batch of prompts");
    }
    int batch = prompts.size();
    lengths = new int[batch];
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
