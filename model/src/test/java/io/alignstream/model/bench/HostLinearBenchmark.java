package io.alignstream.model.bench;

import io.alignstream.model.HostMath;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GFLOP/s of {@link HostMath#linear}, the JVM decoder's matrix kernel, at batch 1 and 8 on the shapes of
 * the tiny presets and SmolLM2-135M (best of five timed rounds after a warm-up pass). Run through
 * {@code bench/model/host-linear.sh}; comparing two commits on one machine shows what a kernel change did.
 */
public final class HostLinearBenchmark {
  private HostLinearBenchmark() {}

  public static void main(String[] args) {
    int[][] shapes = {{128, 384}, {128, 512}, {512, 128}, {576, 576}, {576, 1536}, {1536, 576}, {576, 49152}};
    SplittableRandom rng = new SplittableRandom(1);
    System.out.println("| in x out | layout | GFLOP/s, batch 1 | GFLOP/s, batch 8 |");
    System.out.println("|---|---|---|---|");
    for (int pass = 0; pass < 2; pass++) {
      for (int[] s : shapes) {
        int in = s[0];
        int out = s[1];
        float[] w = new float[in * out];
        for (int i = 0; i < w.length; i++) {
          w[i] = (float) rng.nextGaussian();
        }
        HostMath.Matrix m = HostMath.Matrix.ofOutIn(w, out, in);
        double[] gflops = new double[2];
        int[] batches = {1, 8};
        for (int b = 0; b < 2; b++) {
          int rows = batches[b];
          float[] x = new float[rows * in];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
          }
          float[] y = new float[rows * out];
          long flops = 2L * rows * in * out;
          int reps = (int) Math.max(3, 2e8 / flops);
          for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            for (int k = 0; k < reps; k++) {
              HostMath.linear(x, rows, m, null, y);
            }
            gflops[b] = Math.max(gflops[b], (double) flops * reps / (System.nanoTime() - t0));
          }
        }
        if (pass == 1) { // the first pass warms the JIT up
          System.out.printf(Locale.ROOT, "| %d x %d | %s | %.1f | %.1f |%n", in, out,
              (long) in * out <= 1 << 20 ? "panels" : "rows", gflops[0], gflops[1]);
        }
      }
    }
  }
}
