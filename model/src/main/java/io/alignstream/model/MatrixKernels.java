package io.alignstream.model;

import static io.alignstream.model.HostMath.L;
import static io.alignstream.model.HostMath.S;
import static io.alignstream.model.HostMath.sum;

import jdk.incubator.vector.FloatVector;

/**
 * The two kernels behind {@link HostMath#linear}: broadcast-FMA over packed panels for small matrices,
 * and dot products over contiguous rows for large ones ({@link HostMath.Matrix} decides which). Each
 * register-blocks several rows of x so that one read of W serves them all.
 */
final class MatrixKernels {
  private static final int PANEL = HostMath.Matrix.PANEL;

  private MatrixKernels() {}

  /**
   * y (rows, out) = x (rows, in) W over packed panels: per panel, four rows at a time (one read of the
   * panel for the four), then one. Four, not eight: eight rows of two-vector accumulators need 16 vector
   * registers besides the operands, more than AVX2 has, and the spills made eight rows slower than two
   * blocks of four (measured on an AMD EPYC, AVX2: 1.9x faster at eight rows, equal at one and four;
   * AVX-512, with 32 registers, was not measured); the panel is still in cache for the second block.
   */
  static void panels(float[] x, int rows, int in, float[] w, int out, float[] y) {
    int size = in * PANEL;
    float[] scratch = new float[4 * PANEL];
    for (int o = 0, p = 0; o < out; o += PANEL, p += size) {
      int width = Math.min(PANEL, out - o);
      int r = 0;
      for (; r + 4 <= rows; r += 4) {
        panel4(x, r * in, in, w, p, scratch);
        for (int k = 0; k < 4; k++) {
          System.arraycopy(scratch, k * PANEL, y, (r + k) * out + o, width);
        }
      }
      for (; r < rows; r++) {
        panel1(x, r * in, in, w, p, scratch);
        System.arraycopy(scratch, 0, y, r * out + o, width);
      }
    }
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
      int wo = p + i * PANEL;
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
      int wo = p + i * PANEL;
      FloatVector a = FloatVector.broadcast(S, x[x0 + i]);
      c0 = FloatVector.fromArray(S, w, wo).fma(a, c0);
      c1 = FloatVector.fromArray(S, w, wo + L).fma(a, c1);
      FloatVector b = FloatVector.broadcast(S, x[x0 + i + 1]);
      d0 = FloatVector.fromArray(S, w, wo + 2 * L).fma(b, d0);
      d1 = FloatVector.fromArray(S, w, wo + 3 * L).fma(b, d1);
    }
    if (i < in) {
      int wo = p + i * PANEL;
      FloatVector a = FloatVector.broadcast(S, x[x0 + i]);
      c0 = FloatVector.fromArray(S, w, wo).fma(a, c0);
      c1 = FloatVector.fromArray(S, w, wo + L).fma(a, c1);
    }
    c0.add(d0).intoArray(out, 0);
    c1.add(d1).intoArray(out, L);
  }

  /**
   * y (rows, out) = x (rows, in) W^T with W (out, in): four outputs by two rows at a time, then four
   * outputs by the last row. A wider block of rows (eight by two outputs) measured no faster: on AVX2 its
   * 16 accumulators spill, and a matrix this large is read from memory at about the same rate either way.
   */
  static void dots(float[] x, int rows, int in, float[] w, int out, float[] y) {
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
        y[r * out + o] = HostMath.dot(w, o * in, x, r * in, in);
      }
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
}
