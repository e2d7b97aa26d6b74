package io.alignstream.model.cli;

import io.alignstream.console.Terminal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/** What the model commands share: one-line errors and the libtorch thread setting. */
final class Cli {
  private Cli() {}

  /** Runs {@code body}; any failure becomes one line on standard error and exit code 1. */
  static Integer run(String command, Callable<?> body) {
    try {
      body.call();
      return 0;
    } catch (IllegalArgumentException | IllegalStateException e) {
      Terminal.err().println("alignstream " + command + ": " + e.getMessage());
    } catch (UncheckedIOException | IOException e) {
      Throwable io = e instanceof UncheckedIOException u ? u.getCause() : e;
      Terminal.err().println("alignstream " + command + ": I/O error: " + io.getMessage());
    } catch (Exception e) {
      Terminal.err().println("alignstream " + command + ": " + e);
    }
    return 1;
  }

  /** Sets libtorch's intra-op thread count; only effective before the engine first loads. */
  static void threads(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("--threads must be >= 0, got " + n);
    }
    if (n > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
  }
}
