package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Scalar constants as arrays of a manager that outlives backward: {@code NDArray.mul(Number)} wraps
 * its Java number in a tensor that is freed at once, and a GC before backward corrupts the gradient.
 */
public final class Scalar {
  private Scalar() {}

  /** {@code value} as a scalar of {@code type} (float64, or float32 for anything else), owned by {@code m}. */
  public static NDArray of(NDManager m, double value, DataType type) {
    return type == DataType.FLOAT64 ? m.create(value) : m.create((float) value);
  }
}
