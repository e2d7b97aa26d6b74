package io.alignstream.model;

/**
 * One generated response.
 *
 * @param responseIds generated ids; ends with an end token (the EOS, or another of the model's end
 *     tokens) when {@code stoppedAtEos}
 * @param logProbs per response token, log pi(token | prefix) under the <em>unmodified</em> policy
 *     (temperature 1, no top-p/top-k): the behaviour log-probs BPO and importance weights need
 * @param stoppedAtEos whether the response ended with an end token (false: cut by the token or context limit)
 * @param sampledFrom the settings the tokens were actually drawn with
 * @param policyVersion {@link Policy#version()} of the weights that generated it
 */
public record Sample(long[] responseIds, float[] logProbs, boolean stoppedAtEos, SamplingConfig sampledFrom,
    long policyVersion) {
  public Sample {
    if (responseIds.length != logProbs.length) {
      throw new IllegalArgumentException("Sample: " + responseIds.length + " ids but " + logProbs.length + " log-probs");
    }
  }

  /** Sum of the per-token behaviour log-probs: log pi_beta(response | prompt). */
  public double logProb() {
    double s = 0;
    for (float lp : logProbs) {
      s += lp;
    }
    return s;
  }

  /** The response without its trailing end token, for decoding to text. */
  public long[] textIds() {
    return stoppedAtEos ? java.util.Arrays.copyOf(responseIds, responseIds.length - 1) : responseIds.clone();
  }
}
