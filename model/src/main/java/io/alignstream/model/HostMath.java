package io.alignstream.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 kernels of decoding on the JVM ({@link HostDecoder}), in Java's Vector API: one call per
 * matrix instead of one native call per operation. The only class that touches
 * {@code jdk.incubator.vector}; {@link Decoding} uses it only when the module is present.
 */
public final class HostMath {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /**
   * Whether the eight-row kernels ({@code panel8}, {@code dots8}) fit the vector registers: they keep 16
   * accumulators and 3 operands live, which AVX-512's 32 registers hold and AVX2's 16 do not. On an AMD
   * EPYC (AVX2) they spilled and ran at 37 GFLOP/s where four-row panels twice, and one output by eight
   * rows for the dot kernel, ran at 71 (576x1536 at batch 8; BENCHMARKS.md). 16 floats a vector means
   * AVX-512.
   */
  private static final boolean EIGHT_ROWS = L >= 16;

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
      panels(x, rows, w.in, w.data, w.out, y);
    } else {
      dots(x, rows, w.in, w.data, w.out, y);
    }
    if (bias != null) {
      for (int r = 0; r < rows; r++) {
        add(bias, 0, y, r * w.out, w.out);
      }
    }
  }

  /**
   * y (rows, out) = x (rows, in) W over packed panels: per panel, eight rows at a time (so a batch of eight
   * reads W once; with AVX-512 only, {@link #EIGHT_ROWS}), then four, then one.
   */
  private static void panels(float[] x, int rows, int in, float[] w, int out, float[] y) {
    int size = in * Matrix.PANEL;
    float[] scratch = new float[8 * Matrix.PANEL];
    for (int o = 0, p = 0; o < out; o += Matrix.PANEL, p += size) {
      int width = Math.min(Matrix.PANEL, out - o);
      int r = 0;
      for (; EIGHT_ROWS && r + 8 <= rows; r += 8) {
        panel8(x, r * in, in, w, p, scratch);
        for (int k = 0; k < 8; k++) {
          System.arraycopy(scratch, k * Matrix.PANEL, y, (r + k) * out + o, width);
        }
      }
      for (; r + 4 <= rows; r += 4) {
        panel4(x, r * in, in, w, p, scratch);
        for (int k = 0; k < 4; k++) {
          System.arraycopy(scratch, k * Matrix.PANEL, y, (r + k) * out + o, width);
        }
      }
      for (; r < rows; r++) {
        panel1(x, r * in, in, w, p, scratch);
        System.arraycopy(scratch, 0, y, r * out + o, width);
      }
    }
  }

  /** One panel for eight rows of x from {@code x0}: (8, PANEL) into {@code out}. */
  private static void panel8(float[] x, int x0, int in, float[] w, int p, float[] out) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int i = 0; i < in; i++) {
      int wo = p + i * Matrix.PANEL;
      FloatVector w0 = FloatVector.fromArray(S, w, wo);
      FloatVector w1 = FloatVector.fromArray(S, w, wo + L);
      int xi = x0 + i;
      FloatVector a = FloatVector.broadcast(S, x[xi]);
      c00 = w0.fma(a, c00);
      c01 = w1.fma(a, c01);
      a = FloatVector.broadcast(S, x[xi + in]);
      c10 = w0.fma(a, c10);
      c11 = w1.fma(a, c11);
      a = FloatVector.broadcast(S, x[xi + 2 * in]);
      c20 = w0.fma(a, c20);
      c21 = w1.fma(a, c21);
      a = FloatVector.broadcast(S, x[xi + 3 * in]);
      c30 = w0.fma(a, c30);
      c31 = w1.fma(a, c31);
      a = FloatVector.broadcast(S, x[xi + 4 * in]);
      c40 = w0.fma(a, c40);
      c41 = w1.fma(a, c41);
      a = FloatVector.broadcast(S, x[xi + 5 * in]);
      c50 = w0.fma(a, c50);
      c51 = w1.fma(a, c51);
      a = FloatVector.broadcast(S, x[xi + 6 * in]);
      c60 = w0.fma(a, c60);
      c61 = w1.fma(a, c61);
      a = FloatVector.broadcast(S, x[xi + 7 * in]);
      c70 = w0.fma(a, c70);
      c71 = w1.fma(a, c71);
    }
    c00.intoArray(out, 0);
    c01.intoArray(out, L);
    c10.intoArray(out, 2 * L);
    c11.intoArray(out, 3 * L);
    c20.intoArray(out, 4 * L);
    c21.intoArray(out, 5 * L);
    c30.intoArray(out, 6 * L);
    c31.intoArray(out, 7 * L);
    c40.intoArray(out, 8 * L);
    c41.intoArray(out, 9 * L);
    c50.intoArray(out, 10 * L);
    c51.intoArray(out, 11 * L);
    c60.intoArray(out, 12 * L);
    c61.intoArray(out, 13 * L);
    c70.intoArray(out, 14 * L);
    c71.intoArray(out, 15 * L);
  }

  /** One panel for four rows of x from {@code x0}: (4, PANEL) into {@code out}. */
  private static void panel4(float[] x, int x0, int in, float[] w, int p, float[] out) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    for (int i = 0; i < in; i++) {
      int wo = p + i * Matrix.PANEL;
      FloatVector w0 = FloatVector.fromArray(S, w, wo);
      FloatVector w1 = FloatVector.fromArray(S, w, wo + L);
      int xi = x0 + i;
      FloatVector a = FloatVector.broadcast(S, x[xi]);
      c00 = w0.fma(a, c00);
      c01 = w1.fma(a, c01);
      a = FloatVector.broadcast(S, x[xi + in]);
      c10 = w0.fma(a, c10);
      c11 = w1.fma(a, c11);
      a = FloatVector.broadcast(S, x[xi + 2 * in]);
      c20 = w0.fma(a, c20);
      c21 = w1.fma(a, c21);
      a = FloatVector.broadcast(S, x[xi + 3 * in]);
      c30 = w0.fma(a, c30);
      c31 = w1.fma(a, c31);
    }
    c00.intoArray(out, 0);
    c01.intoArray(out, L);
    c10.intoArray(out, 2 * L);
    c11.intoArray(out, 3 * L);
    c20.intoArray(out, 4 * L);
    c21.intoArray(out, 5 * L);
    c30.intoArray(out, 6 * L);
    c31.intoArray(out, 7 * L);
  }

  /** One panel for one row of x from {@code x0}: (PANEL) into {@code out}; two inputs per turn. */
  private static void panel1(float[] x, int x0, int in, float[] w, int p, float[] out) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector d0 = c0;
    FloatVector d1 = c0;
    int i = 0;
    for (; i + 2 <= in; i += 2) {
      int wo = p + i * Matrix.PANEL;
      FloatVector a = FloatVector.broadcast(S, x[x0 + i]);
      c0 = FloatVector.fromArray(S, w, wo).fma(a, c0);
      c1 = FloatVector.fromArray(S, w, wo + L).fma(a, c1);
      FloatVector b = FloatVector.broadcast(S, x[x0 + i + 1]);
      d0 = FloatVector.fromArray(S, w, wo + 2 * L).fma(b, d0);
      d1 = FloatVector.fromArray(S, w, wo + 3 * L).fma(b, d1);
    }
    if (i < in) {
      int wo = p + i * Matrix.PANEL;
      FloatVector a = FloatVector.broadcast(S, x[x0 + i]);
      c0 = FloatVector.fromArray(S, w, wo).fma(a, c0);
      c1 = FloatVector.fromArray(S, w, wo + L).fma(a, c1);
    }
    c0.add(d0).intoArray(out, 0);
    c1.add(d1).intoArray(out, L);
  }

  /**
   * y (rows, out) = x (rows, in) W^T with W (out, in): two outputs by eight rows at a time (a batch of
   * eight reads W once), then four outputs by two rows.
   */
  private static void dots(float[] x, int rows, int in, float[] w, int out, float[] y) {
    int eights = rows - rows % 8;
    if (eights > 0 && EIGHT_ROWS) {
      dots8(x, eights, in, w, out, y);
    } else if (eights > 0) {
      dots8By1(x, eights, in, w, out, y);
    }
    if (eights < rows) {
      int rest = rows - eights;
      float[] xr = java.util.Arrays.copyOfRange(x, eights * in, rows * in);
      float[] yr = new float[rest * out];
      dots2(xr, rest, in, w, out, yr);
      System.arraycopy(yr, 0, y, eights * out, rest * out);
    }
  }

  /**
   * {@link #dots} for a multiple of eight rows, one output at a time: 8 accumulators and 2 operands, within
   * AVX2's 16 vector registers; W is still read once per eight rows.
   */
  private static void dots8By1(float[] x, int rows, int in, float[] w, int out, float[] y) {
    int bound = S.loopBound(in);
    for (int r = 0; r < rows; r += 8) {
      int x0 = r * in;
      for (int o = 0; o < out; o++) {
        int w0 = o * in;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        for (int i = 0; i < bound; i += L) {
          FloatVector p = FloatVector.fromArray(S, w, w0 + i);
          int xi = x0 + i;
          a0 = p.fma(FloatVector.fromArray(S, x, xi), a0);
          a1 = p.fma(FloatVector.fromArray(S, x, xi + in), a1);
          a2 = p.fma(FloatVector.fromArray(S, x, xi + 2 * in), a2);
          a3 = p.fma(FloatVector.fromArray(S, x, xi + 3 * in), a3);
          a4 = p.fma(FloatVector.fromArray(S, x, xi + 4 * in), a4);
          a5 = p.fma(FloatVector.fromArray(S, x, xi + 5 * in), a5);
          a6 = p.fma(FloatVector.fromArray(S, x, xi + 6 * in), a6);
          a7 = p.fma(FloatVector.fromArray(S, x, xi + 7 * in), a7);
        }
        int y0 = r * out + o;
        y[y0] = sum(a0) + tail(w, w0, x, x0, bound, in);
        y[y0 + out] = sum(a1) + tail(w, w0, x, x0 + in, bound, in);
        y[y0 + 2 * out] = sum(a2) + tail(w, w0, x, x0 + 2 * in, bound, in);
        y[y0 + 3 * out] = sum(a3) + tail(w, w0, x, x0 + 3 * in, bound, in);
        y[y0 + 4 * out] = sum(a4) + tail(w, w0, x, x0 + 4 * in, bound, in);
        y[y0 + 5 * out] = sum(a5) + tail(w, w0, x, x0 + 5 * in, bound, in);
        y[y0 + 6 * out] = sum(a6) + tail(w, w0, x, x0 + 6 * in, bound, in);
        y[y0 + 7 * out] = sum(a7) + tail(w, w0, x, x0 + 7 * in, bound, in);
      }
    }
  }

  /** {@link #dots} for a multiple of eight rows. */
  private static void dots8(float[] x, int rows, int in, float[] w, int out, float[] y) {
    int bound = S.loopBound(in);
    for (int r = 0; r < rows; r += 8) {
      int x0 = r * in;
      int o = 0;
      for (; o + 2 <= out; o += 2) {
        int w0 = o * in;
        int w1 = w0 + in;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        FloatVector b4 = a0;
        FloatVector b5 = a0;
        FloatVector b6 = a0;
        FloatVector b7 = a0;
        for (int i = 0; i < bound; i += L) {
          FloatVector p = FloatVector.fromArray(S, w, w0 + i);
          FloatVector q = FloatVector.fromArray(S, w, w1 + i);
          int xi = x0 + i;
          FloatVector v = FloatVector.fromArray(S, x, xi);
          a0 = p.fma(v, a0);
          b0 = q.fma(v, b0);
          v = FloatVector.fromArray(S, x, xi + in);
          a1 = p.fma(v, a1);
          b1 = q.fma(v, b1);
          v = FloatVector.fromArray(S, x, xi + 2 * in);
          a2 = p.fma(v, a2);
          b2 = q.fma(v, b2);
          v = FloatVector.fromArray(S, x, xi + 3 * in);
          a3 = p.fma(v, a3);
          b3 = q.fma(v, b3);
          v = FloatVector.fromArray(S, x, xi + 4 * in);
          a4 = p.fma(v, a4);
          b4 = q.fma(v, b4);
          v = FloatVector.fromArray(S, x, xi + 5 * in);
          a5 = p.fma(v, a5);
          b5 = q.fma(v, b5);
          v = FloatVector.fromArray(S, x, xi + 6 * in);
          a6 = p.fma(v, a6);
          b6 = q.fma(v, b6);
          v = FloatVector.fromArray(S, x, xi + 7 * in);
          a7 = p.fma(v, a7);
          b7 = q.fma(v, b7);
        }
        int y0 = r * out + o;
        y[y0] = sum(a0) + tail(w, w0, x, x0, bound, in);
        y[y0 + 1] = sum(b0) + tail(w, w1, x, x0, bound, in);
        y[y0 + out] = sum(a1) + tail(w, w0, x, x0 + in, bound, in);
        y[y0 + out + 1] = sum(b1) + tail(w, w1, x, x0 + in, bound, in);
        y[y0 + 2 * out] = sum(a2) + tail(w, w0, x, x0 + 2 * in, bound, in);
        y[y0 + 2 * out + 1] = sum(b2) + tail(w, w1, x, x0 + 2 * in, bound, in);
        y[y0 + 3 * out] = sum(a3) + tail(w, w0, x, x0 + 3 * in, bound, in);
        y[y0 + 3 * out + 1] = sum(b3) + tail(w, w1, x, x0 + 3 * in, bound, in);
        y[y0 + 4 * out] = sum(a4) + tail(w, w0, x, x0 + 4 * in, bound, in);
        y[y0 + 4 * out + 1] = sum(b4) + tail(w, w1, x, x0 + 4 * in, bound, in);
        y[y0 + 5 * out] = sum(a5) + tail(w, w0, x, x0 + 5 * in, bound, in);
        y[y0 + 5 * out + 1] = sum(b5) + tail(w, w1, x, x0 + 5 * in, bound, in);
        y[y0 + 6 * out] = sum(a6) + tail(w, w0, x, x0 + 6 * in, bound, in);
        y[y0 + 6 * out + 1] = sum(b6) + tail(w, w1, x, x0 + 6 * in, bound, in);
        y[y0 + 7 * out] = sum(a7) + tail(w, w0, x, x0 + 7 * in, bound, in);
        y[y0 + 7 * out + 1] = sum(b7) + tail(w, w1, x, x0 + 7 * in, bound, in);
      }
      for (; o < out; o++) {
        for (int k = 0; k < 8; k++) {
          y[(r + k) * out + o] = dot(w, o * in, x, x0 + k * in, in);
        }
      }
    }
  }

  /** {@link #dots} four outputs by two rows at a time. */
  private static void dots2(float[] x, int rows, int in, float[] w, int out, float[] y) {
    int bound = S.loopBound(in);
    int o = 0;
    for (; o + 4 <= out; o += 4) {
      int w0 = o * in;
      int w1 = w0 + in;
      int w2 = w1 + in;
      int w3 = w2 + in;
      int r = 0;
      for (; r + 2 <= rows; r += 2) {
        int xa = r * in;
        int xb = xa + in;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int i = 0; i < bound; i += L) {
          FloatVector va = FloatVector.fromArray(S, x, xa + i);
          FloatVector vb = FloatVector.fromArray(S, x, xb + i);
          FloatVector q = FloatVector.fromArray(S, w, w0 + i);
          a0 = q.fma(va, a0);
          b0 = q.fma(vb, b0);
          q = FloatVector.fromArray(S, w, w1 + i);
          a1 = q.fma(va, a1);
          b1 = q.fma(vb, b1);
          q = FloatVector.fromArray(S, w, w2 + i);
          a2 = q.fma(va, a2);
          b2 = q.fma(vb, b2);
          q = FloatVector.fromArray(S, w, w3 + i);
          a3 = q.fma(va, a3);
          b3 = q.fma(vb, b3);
        }
        int ya = r * out + o;
        int yb = ya + out;
        y[ya] = sum(a0) + tail(w, w0, x, xa, bound, in);
        y[ya + 1] = sum(a1) + tail(w, w1, x, xa, bound, in);
        y[ya + 2] = sum(a2) + tail(w, w2, x, xa, bound, in);
        y[ya + 3] = sum(a3) + tail(w, w3, x, xa, bound, in);
        y[yb] = sum(b0) + tail(w, w0, x, xb, bound, in);
        y[yb + 1] = sum(b1) + tail(w, w1, x, xb, bound, in);
        y[yb + 2] = sum(b2) + tail(w, w2, x, xb, bound, in);
        y[yb + 3] = sum(b3) + tail(w, w3, x, xb, bound, in);
      }
      for (; r < rows; r++) {
        int xa = r * in;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int i = 0; i < bound; i += L) {
          FloatVector va = FloatVector.fromArray(S, x, xa + i);
          a0 = FloatVector.fromArray(S, w, w0 + i).fma(va, a0);
          a1 = FloatVector.fromArray(S, w, w1 + i).fma(va, a1);
          a2 = FloatVector.fromArray(S, w, w2 + i).fma(va, a2);
          a3 = FloatVector.fromArray(S, w, w3 + i).fma(va, a3);
        }
        int ya = r * out + o;
        y[ya] = sum(a0) + tail(w, w0, x, xa, bound, in);
        y[ya + 1] = sum(a1) + tail(w, w1, x, xa, bound, in);
        y[ya + 2] = sum(a2) + tail(w, w2, x, xa, bound, in);
        y[ya + 3] = sum(a3) + tail(w, w3, x, xa, bound, in);
      }
    }
    for (; o < out; o++) {
      for (int r = 0; r < rows; r++) {
        y[r * out + o] = dot(w, o * in, x, r * in, in);
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

  /** The scalar rest of a dot product past the last whole vector. */
  private static float tail(float[] w, int wOff, float[] x, int xOff, int from, int n) {
    float s = 0;
    for (int i = from; i < n; i++) {
      s += w[wOff + i] * x[xOff + i];
    }
    return s;
  }

  private static float sum(FloatVector v) {
    return v.reduceLanes(VectorOperators.ADD);
  }
}
