package io.alignstream.model.cli;

import io.alignstream.model.SamplingConfig;
import picocli.CommandLine.Option;

/**
 * {@code --temperature}, {@code --top-p} and {@code --top-k}: how a command that decodes with a model
 * ({@code generate}, the sampler) draws each token. The command states its defaults when it creates
 * the mixin; the length of a response stays the command's own option, since what happens at the
 * context's end differs between them.
 */
public final class SamplingOptions {
  @Option(names = "--temperature", paramLabel = "T",
      description = "Sampling temperature; 0 = greedy. Default: ${DEFAULT-VALUE}.")
  private double temperature;

  @Option(names = "--top-p", paramLabel = "P",
      description = "Nucleus mass in (0, 1]; 1 = off. Default: ${DEFAULT-VALUE}.")
  private double topP;

  @Option(names = "--top-k", paramLabel = "K",
      description = "Keep only the K most likely tokens; 0 = off. Default: ${DEFAULT-VALUE}.")
  private int topK;

  /** The options with these defaults (picocli shows them in the help). */
  public SamplingOptions(double temperature, double topP, int topK) {
    this.temperature = temperature;
    this.topP = topP;
    this.topK = topK;
  }

  /** The validated settings, stopping a row at its end token, for responses of at most {@code maxNewTokens}. */
  public SamplingConfig config(int maxNewTokens) {
    return new SamplingConfig(temperature, topP, topK, maxNewTokens, true);
  }
}
