package io.alignstream.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 layer operations of decoding on the JVM ({@link HostDecoder}), in Java's Vector API: one
 * call per matrix instead of one native call per operation. The linear layer's kernels are in
 * {@link MatrixKernels}; with it, the only code that touches {@code jdk.incubator.vector}, used only
 * when the module is present.
 */
public final class HostMath {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();

  private HostMath() {}

  /**
   * A weight matrix of a linear layer, (in) to (out), stored the way its kernel reads it fastest. Small
   * ones are packed in panels of {@code 2 L} outputs ({@code [panel][in][2L]}, the last panel padded with
   * zeros), multiplied by broadcasting each input over a panel: no horizontal sums (which dominate at
   * widths of a few hundred), and each panel streams contiguously. Large ones stay (out, in) and are dot
   * products over contiguous rows (a large matrix streams from memory either way).
   */
  public static final class Matrix {
    private static final long SMALL = 1L << 20; // floats: 4 MB
    static final int PANEL = 2 * L;

    final int in;
    final int out;
    final float[] data;
    final boolean packed;

    private Matrix(int in, int out, float[] data, boolean packed) {
      this.in = in;
      this.out = out;
      this.data = data;
      this.packed = packed;
    }

    /** From the {@code nn.Linear} layout, (out, in) row-major. */
    public static Matrix ofOutIn(float[] w, int out, int in) {
      return (long) in * out <= SMALL ? new Matrix(in, out, pack(w, in, out, true), true) : new Matrix(in, out, w, false);
    }

    /** From GPT-2's Conv1D layout, (in, out) row-major. */
    public static Matrix ofInOut(float[] w, int in, int out) {
      if ((long) in * out <= SMALL) {
        return new Matrix(in, out, pack(w, in, out, false), true);
      }
      float[] t = new float[w.length];
      for (int i = 0; i < in; i++) {
        for (int o = 0; o < out; o++) {
          t[o * in + i] = w[i * out + o];
        }
      }
      return new Matrix(in, out, t, false);
    }

    /** Panels of {@link #PANEL} outputs, {@code [panel][in][PANEL]}, from (out, in) or (in, out). */
    private static float[] pack(float[] w, int in, int out, boolean outIn) {
      int panels = (out + PANEL - 1) / PANEL;
      float[] p = new float[panels * in * PANEL];
      for (int o = 0; o < out; o++) {
        int base = (o / PANEL) * in * PANEL + o % PANEL;
        for (int i = 0; i < in; i++) {
          p[base + i * PANEL] = outIn ? w[o * in + i] : w[i * out + o];
        }
      }
      return p;
    }
  }

  /**
   * y = x W (+ b) for {@code rows} rows of x (rows, in).
   *
   * @param bias (out) or null
   * @param y (rows, out), overwritten
   */
  public static void linear(float[] x, int rows, Matrix w, float[] bias, float[] y) {
    if (w.packed) {
      MatrixKernels.panels(x, rows, w.in, w.data, w.out, y);
    } else {
      MatrixKernels.dots(x, rows, w.in, w.data, w.out, y);
    }
    if (bias != null) {
      for (int r = 0; r < rows; r++) {
        add(bias, 0, y, r * w.out, w.out);
      }
    }
  }

  /** a[aOff..aOff+n) . b[bOff..bOff+n). */
  public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    int bound = S.loopBound(n);
    FloatVector acc = FloatVector.zero(S);
    for (int i = 0; i < bound; i += L) {
      acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
    }
    float s = sum(acc);
    for (int i = bound; i < n; i++) {
      s += a[aOff + i] * b[bOff + i];
    }
    return s;
  }

  /** y[yOff..yOff+n) += alpha x[xOff..xOff+n). */
  public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
    int bound = S.loopBound(n);
    FloatVector a = FloatVector.broadcast(S, alpha);
    for (int i = 0; i < bound; i += L) {
      FloatVector.fromArray(S, x, xOff + i).fma(a, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
    }
    for (int i = bound; i < n; i++) {
      y[yOff + i] += alpha * x[xOff + i];
    }
  }

  /** y[0..n) += x[0..n). */
  public static void add(float[] x, float[] y, int n) {
    add(x, 0, y, 0, n);
  }

  /** y[yOff..yOff+n) += x[xOff..xOff+n). */
  public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
    int bound = S.loopBound(n);
    for (int i = 0; i < bound; i += L) {
      FloatVector.fromArray(S, x, xOff + i).add(FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
    }
    for (int i = bound; i < n; i++) {
      y[yOff + i] += x[xOff + i];
    }
  }

  /** out = x / sqrt(mean(x^2) + eps) * gain over {@code n} values from the offsets. */
  public static void rmsNorm(float[] x, int xOff, int n, float[] gain, float eps, float[] out, int outOff) {
    float ms = dot(x, xOff, x, xOff, n) / n;
    float inv = (float) (1.0 / Math.sqrt(ms + eps));
    for (int i = 0; i < n; i++) {
      out[outOff + i] = x[xOff + i] * inv * gain[i];
    }
  }

  /** out = (x - mean) / sqrt(var + eps) * gain + bias over {@code n} values from the offsets. */
  public static void layerNorm(float[] x, int xOff, int n, float[] gain, float[] bias, float eps, float[] out,
      int outOff) {
    float mean = 0;
    for (int i = 0; i < n; i++) {
      mean += x[xOff + i];
    }
    mean /= n;
    float var = 0;
    for (int i = 0; i < n; i++) {
      float c = x[xOff + i] - mean;
      var += c * c;
    }
    float inv = (float) (1.0 / Math.sqrt(var / n + eps));
    for (int i = 0; i < n; i++) {
      out[outOff + i] = (x[xOff + i] - mean) * inv * gain[i] + bias[i];
    }
  }

  /** In-place softmax of {@code n} values from {@code off}. */
  public static void softmax(float[] x, int off, int n) {
    int bound = S.loopBound(n);
    FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    for (int i = 0; i < bound; i += L) {
      vmax = vmax.max(FloatVector.fromArray(S, x, off + i));
    }
    float max = vmax.reduceLanes(VectorOperators.MAX);
    for (int i = bound; i < n; i++) {
      max = Math.max(max, x[off + i]);
    }
    FloatVector shift = FloatVector.broadcast(S, max);
    FloatVector vtotal = FloatVector.zero(S);
    for (int i = 0; i < bound; i += L) {
      FloatVector e = FloatVector.fromArray(S, x, off + i).sub(shift).lanewise(VectorOperators.EXP);
      e.intoArray(x, off + i);
      vtotal = vtotal.add(e);
    }
    float total = sum(vtotal);
    for (int i = bound; i < n; i++) {
      float e = (float) Math.exp(x[off + i] - max);
      x[off + i] = e;
      total += e;
    }
    float inv = 1f / total;
    for (int i = 0; i < n; i++) {
      x[off + i] *= inv;
    }
  }

  /** GPT-2's tanh GELU in place, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), as x sigmoid(2 ...). */
  public static void geluTanh(float[] x, int n) {
    float k = (float) (2 * Math.sqrt(2 / Math.PI));
    float k3 = k * 0.044715f;
    int bound = S.loopBound(n);
    for (int i = 0; i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, i);
      FloatVector inner = v.mul(v).mul(k3).add(k).mul(v); // k x + k 0.044715 x^3
      v.div(inner.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(x, i);
    }
    for (int i = bound; i < n; i++) {
      float v = x[i];
      x[i] = (float) (v / (1 + Math.exp(-(k * v + k3 * v * v * v))));
    }
  }

  /** gate = silu(gate) * up, SwiGLU's product, over {@code n} values. */
  public static void siluTimes(float[] gate, float[] up, int n) {
    int bound = S.loopBound(n);
    for (int i = 0; i < bound; i += L) {
      FloatVector g = FloatVector.fromArray(S, gate, i);
      g.div(g.neg().lanewise(VectorOperators.EXP).add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
    }
    for (int i = bound; i < n; i++) {
      float g = gate[i];
      gate[i] = (float) (g / (1 + Math.exp(-g))) * up[i];
    }
  }

  /** The sum of a vector's lanes. */
  static float sum(FloatVector v) {
    return v.reduceLanes(VectorOperators.ADD);
  }
}
