package io.alignstream.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Shared fixtures: random token batches and the path to the repository's shared data. */
final class TestData {
  private TestData() {}

  /** {@code n} examples with prompts of 1..4 and responses of 1..4 tokens ending with {@code eos}. */
  static List<Example> randomExamples(int n, int vocab, int eos, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long[] p = new long[1 + rng.nextInt(4)];
      long[] r = new long[1 + rng.nextInt(4)];
      for (int j = 0; j < p.length; j++) {
        p[j] = 2 + rng.nextInt(vocab - 2);
      }
      for (int j = 0; j < r.length - 1; j++) {
        r[j] = 2 + rng.nextInt(vocab - 2);
      }
      r[r.length - 1] = eos;
      out.add(new Example(p, r));
    }
    return out;
  }

  /** The {@code shared/} folder found by walking up from the working directory, or null. */
  static Path shared() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (dir != null) {
      if (Files.isDirectory(dir.resolve("shared/data"))) {
        return dir.resolve("shared");
      }
      dir = dir.getParent();
    }
    return null;
  }
}
