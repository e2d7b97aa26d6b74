package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Additive attention masks: 0 where a query sees a key, {@link #MASKED} where it does not. */
public final class AttentionMask {
  /** Large enough to zero a softmax term, finite so that no row is NaN. */
  public static final double MASKED = -1e9;

  private AttentionMask() {}

  /** Causal mask for a full pass over right-padded rows: (1, 1, seq, seq). */
  public static NDArray causal(NDManager m, int seq, DataType type) {
    float[] values = new float[seq * seq];
    for (int q = 0; q < seq; q++) {
      for (int k = q + 1; k < seq; k++) {
        values[q * seq + k] = (float) MASKED;
      }
    }
    return of(m, values, new Shape(1, 1, seq, seq), type);
  }

  /** A mask of the weights' type from float values (0 or {@link #MASKED}). */
  public static NDArray of(NDManager m, float[] values, Shape shape, DataType type) {
    NDArray mask = m.create(values, shape);
    return type == DataType.FLOAT32 ? mask : mask.toType(type, false);
  }
}
