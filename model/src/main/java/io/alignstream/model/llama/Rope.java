package io.alignstream.model.llama;

/** Rotary position frequencies, with Llama 3's long-context scaling. */
final class Rope {
  private Rope() {}

  /**
   * Inverse frequencies of one head's rotary pairs: theta^(-2i / headDim) for i < headDim / 2, scaled as
   * {@link LlamaConfig.RopeScaling} says. Computed in double, as the reference does.
   *
   * @return (headDim / 2)
   */
  static float[] inverseFrequencies(LlamaConfig c) {
    int half = c.headDim() / 2;
    float[] out = new float[half];
    LlamaConfig.RopeScaling s = c.ropeScaling();
    for (int i = 0; i < half; i++) {
      double inv = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
      if (s != null) {
        double wavelength = 2 * Math.PI / inv;
        double longest = s.originalContext() / s.lowFreqFactor(); // longer than this: stretched
        double shortest = s.originalContext() / s.highFreqFactor(); // shorter than this: kept
        if (wavelength > longest) {
          inv = inv / s.factor();
        } else if (wavelength >= shortest) {
          double smooth = (s.originalContext() / wavelength - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
          inv = (1 - smooth) * inv / s.factor() + smooth * inv;
        }
      }
      out[i] = (float) inv;
    }
    return out;
  }
}
