package io.alignstream.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A temporary directory that a test or benchmark deletes, tree and all, when it is done. A broker's
 * log directory is a hundred megabytes after a benchmark; left behind, a day of runs filled {@code /tmp}.
 */
public record ScratchDirectory(Path path) implements AutoCloseable {

  public static ScratchDirectory create(String prefix) throws IOException {
    return new ScratchDirectory(Files.createTempDirectory(prefix));
  }

  public Path resolve(String other) {
    return path.resolve(other);
  }

  /** Deletes {@code root} and everything under it; a missing root is already deleted. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public void close() throws IOException {
    deleteTree(path);
  }
}
