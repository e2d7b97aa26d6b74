package io.alignstream.app;

import picocli.CommandLine.Option;

/**
 * {@code --threads N}: libtorch's threads per operation in a command that runs every service in one
 * process (demo, align, replay), where the services share the cores and 1 is usually fastest.
 */
final class TorchThreads {
  @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
      description = "libtorch threads per operation; the services share the cores, so 1 is usually fastest. "
          + "Default: ${DEFAULT-VALUE}.")
  private int threads = 1;

  int count() {
    return threads;
  }

  /** Checks the count and sets it for the PyTorch engine, which reads it once, when it first loads. */
  int apply() {
    if (threads < 1) {
      throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
    }
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    return threads;
  }
}
