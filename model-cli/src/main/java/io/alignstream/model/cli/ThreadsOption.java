package io.alignstream.model.cli;

import picocli.CommandLine.Option;

/**
 * {@code --threads N}: libtorch's intra-op threads in a command that runs one model in its process
 * ({@code pretrain}, {@code generate}, the sampler). The all-in-one commands (demo, align, replay) share
 * the cores among their services and have their own option, with 1 as its default.
 */
public final class ThreadsOption {
  @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
      description = "libtorch intra-op threads; 0 = the model core's default (1, or ai.djl.pytorch.num_threads / "
          + "OMP_NUM_THREADS when set). More helps only on an otherwise idle machine. Default: ${DEFAULT-VALUE}.")
  private int threads;

  /**
   * Checks the count and, unless it is 0, sets it for the PyTorch engine, which reads it once, when it
   * first loads: call this before the first model is built.
   */
  public void apply() {
    if (threads < 0) {
      throw new IllegalArgumentException("--threads must be >= 0 (0 = the model core's default), got " + threads);
    }
    if (threads > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }
}
