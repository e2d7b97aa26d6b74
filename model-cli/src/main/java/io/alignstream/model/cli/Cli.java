package io.alignstream.model.cli;

import io.alignstream.console.Terminal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/** What the model commands share: one-line errors. */
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
}
