package io.alignstream.learner;

import java.util.Arrays;

/**
 * Fits a linear head w on preference pairs given as feature differences φ⁺ − φ⁻: the Bradley-Terry
 * model p(⁺ ≻ ⁻) = σ(w·(φ⁺ − φ⁻)), with L2. Plain Java over a few thousand pairs of a few hundred
 * features: a fraction of a second, and no native memory to manage.
 */
final class BradleyTerryHead {
  private static final double FIT_LR = 0.05;
  private static final double L2 = 1e-3;

  private BradleyTerryHead() {}

  /**
   * Adam on the mean Bradley-Terry loss softplus(-w·(φ⁺ - φ⁻)) of the given rows plus L2, full batch,
   * from {@code w}; returns the final mean loss without the L2 term.
   */
  static double fit(double[] w, float[][] diff, int[] rows, int steps) {
    int d = w.length;
    double[] mAdam = new double[d];
    double[] vAdam = new double[d];
    double[] grad = new double[d];
    double loss = 0;
    for (int step = 1; step <= steps + 1; step++) {
      Arrays.fill(grad, 0);
      loss = 0;
      for (int r : rows) {
        float[] x = diff[r];
        double z = dot(w, x);
        loss += softplus(-z);
        double g = -sigmoid(-z); // d softplus(-z) / dz
        for (int j = 0; j < d; j++) {
          grad[j] += g * x[j];
        }
      }
      loss /= rows.length;
      if (step > steps) {
        break; // the last pass only measures
      }
      for (int j = 0; j < d; j++) {
        double gj = grad[j] / rows.length + L2 * w[j];
        mAdam[j] = 0.9 * mAdam[j] + 0.1 * gj;
        vAdam[j] = 0.999 * vAdam[j] + 0.001 * gj * gj;
        double mh = mAdam[j] / (1 - Math.pow(0.9, step));
        double vh = vAdam[j] / (1 - Math.pow(0.999, step));
        w[j] -= FIT_LR * mh / (Math.sqrt(vh) + 1e-8);
      }
    }
    return loss;
  }

  private static double dot(double[] w, float[] x) {
    double s = 0;
    for (int j = 0; j < x.length; j++) {
      s += w[j] * x[j];
    }
    return s;
  }

  private static double softplus(double z) {
    return z > 30 ? z : Math.log1p(Math.exp(z));
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }
}
