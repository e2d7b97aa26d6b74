package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The JVM decoding kernels against plain loops: every block size and tail, both weight layouts. */
class HostMathTest {

  @Test
  void linearMatchesAPlainLoopInEveryBlockingAndLayout() {
    SplittableRandom rng = new SplittableRandom(1);
    // Small matrices take the broadcasting layout; 1,100 x 1,000 is past the cache bound: dot products.
    int[][] shapes = {{32, 16}, {48, 35}, {130, 67}, {16, 1}, {7, 40}, {1100, 1000}};
    for (int[] shape : shapes) {
      int in = shape[0];
      int out = shape[1];
      float[] outIn = random(rng, in * out);
      float[] bias = random(rng, out);
      for (int rows : new int[] {1, 2, 3, 4, 5, 8, 9, 13, 17}) {
        if ((long) in * out > 100_000 && rows > 9) {
          continue;
        }
        float[] x = random(rng, rows * in);
        float[] expected = new float[rows * out];
        for (int r = 0; r < rows; r++) {
          for (int o = 0; o < out; o++) {
            double s = bias[o];
            for (int i = 0; i < in; i++) {
              s += (double) x[r * in + i] * outIn[o * in + i];
            }
            expected[r * out + o] = (float) s;
          }
        }
        float[] inOut = new float[in * out];
        for (int o = 0; o < out; o++) {
          for (int i = 0; i < in; i++) {
            inOut[i * out + o] = outIn[o * in + i];
          }
        }
        for (HostMath.Matrix m : new HostMath.Matrix[] {HostMath.Matrix.ofOutIn(outIn, out, in),
            HostMath.Matrix.ofInOut(inOut, in, out)}) {
          float[] y = new float[rows * out];
          HostMath.linear(x, rows, m, bias, y);
          for (int k = 0; k < y.length; k++) {
            assertEquals(expected[k], y[k], 1e-4 * Math.sqrt(in), in + "x" + out + ", " + rows + " rows, entry " + k);
          }
        }
      }
    }
  }

  @Test
  void activationsAndSoftmaxMatchTheirDefinitions() {
    SplittableRandom rng = new SplittableRandom(2);
    for (int n : new int[] {1, 15, 16, 17, 100}) {
      float[] x = random(rng, n);
      for (int i = 0; i < n; i++) {
        x[i] *= 8;
      }
      float[] gelu = x.clone();
      HostMath.geluTanh(gelu, n);
      float[] up = random(rng, n);
      float[] silu = x.clone();
      HostMath.siluTimes(silu, up, n);
      float[] soft = x.clone();
      HostMath.softmax(soft, 0, n);
      double max = Double.NEGATIVE_INFINITY;
      for (float v : x) {
        max = Math.max(max, v);
      }
      double z = 0;
      for (float v : x) {
        z += Math.exp(v - max);
      }
      for (int i = 0; i < n; i++) {
        double v = x[i];
        assertEquals(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), gelu[i], 1e-5);
        assertEquals(v / (1 + Math.exp(-v)) * up[i], silu[i], 1e-5);
        assertEquals(Math.exp(v - max) / z, soft[i], 1e-6);
      }
    }
  }

  @Test
  void normsMatchTheirDefinitions() {
    SplittableRandom rng = new SplittableRandom(3);
    int n = 37;
    float[] x = random(rng, n + 5);
    float[] gain = random(rng, n);
    float[] bias = random(rng, n);
    float[] rms = new float[n];
    float[] ln = new float[n];
    HostMath.rmsNorm(x, 5, n, gain, 1e-5f, rms, 0);
    HostMath.layerNorm(x, 5, n, gain, bias, 1e-5f, ln, 0);
    double sq = 0;
    double mean = 0;
    for (int i = 0; i < n; i++) {
      sq += x[5 + i] * x[5 + i];
      mean += x[5 + i];
    }
    mean /= n;
    double var = 0;
    for (int i = 0; i < n; i++) {
      var += (x[5 + i] - mean) * (x[5 + i] - mean);
    }
    for (int i = 0; i < n; i++) {
      assertEquals(x[5 + i] / Math.sqrt(sq / n + 1e-5) * gain[i], rms[i], 1e-5);
      assertEquals((x[5 + i] - mean) / Math.sqrt(var / n + 1e-5) * gain[i] + bias[i], ln[i], 1e-5);
    }
  }

  private static float[] random(SplittableRandom rng, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }
}
