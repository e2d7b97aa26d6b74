package io.alignstream.model;

/**
 * How response tokens are drawn. Also the record of "the distribution a sample was drawn from" that
 * travels with every {@link Sample}.
 *
 * @param temperature softmax temperature; 0 means greedy (argmax)
 * @param topP nucleus mass in (0, 1]; 1 turns nucleus truncation off
 * @param topK keep only the k most likely tokens; 0 turns it off
 * @param maxNewTokens at most this many response tokens (also capped by the context length)
 * @param stopAtEos stop a row when it emits an end token ({@link ModelConfig#isEnd}; it is part of the response)
 */
public record SamplingConfig(double temperature, double topP, int topK, int maxNewTokens, boolean stopAtEos) {
  public SamplingConfig {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("SamplingConfig: temperature must be >= 0 (0 = greedy), got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("SamplingConfig: topP must be in (0, 1], got " + topP);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("SamplingConfig: topK must be >= 0 (0 = off), got " + topK);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("SamplingConfig: maxNewTokens must be >= 1, got " + maxNewTokens);
    }
  }

  /** Plain ancestral sampling at temperature 1 (the policy's own distribution). */
  public static SamplingConfig sample(int maxNewTokens) {
    return new SamplingConfig(1.0, 1.0, 0, maxNewTokens, true);
  }

  /** Greedy decoding. */
  public static SamplingConfig greedy(int maxNewTokens) {
    return new SamplingConfig(0.0, 1.0, 0, maxNewTokens, true);
  }

  public boolean isGreedy() {
    return temperature == 0.0;
  }
}
