package io.alignstream.app;

import io.alignstream.producer.DemonstrationValidator;
import io.alignstream.producer.IngestConfig;
import io.alignstream.schemas.Demonstration;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A user's demonstrations file (JSON lines with {@code prompt} and {@code response}), checked line by
 * line with the ingest topology's own validator before anything starts, so a bad file is one clear
 * line at once rather than a dead-letter topic found later.
 *
 * @param file the file read
 * @param demonstrations the valid ones, one per content id, in file order
 * @param prompts the practice prompts among the lines ({@code {"prompt", "kind": "prompt"}}), distinct, in
 *     file order: the samplers answer them and the reward model judges the answers
 * @param lines non-blank lines read
 * @param rejected lines that are not valid demonstrations
 * @param duplicates valid lines repeating an earlier demonstration
 * @param firstProblem where and why the first rejected line was rejected; empty when none was
 */
record DemonstrationsFile(Path file, List<Demonstration> demonstrations, List<String> prompts, int lines, int rejected,
    int duplicates, String firstProblem) {
  DemonstrationsFile {
    demonstrations = List.copyOf(demonstrations);
    prompts = List.copyOf(prompts);
  }

  /**
   * Reads and checks every line.
   *
   * @throws IllegalArgumentException when the file is missing or holds no valid demonstration
   */
  static DemonstrationsFile read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("demonstrations file not found: " + file);
    }
    var validator = new DemonstrationValidator(IngestConfig.defaults());
    Map<String, Demonstration> byId = new LinkedHashMap<>();
    java.util.Set<String> prompts = new java.util.LinkedHashSet<>();
    int lines = 0;
    int rejected = 0;
    int duplicates = 0;
    String first = "";
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      int number = 0;
      for (byte[] line; (line = nextLine(in)) != null; ) {
        number++;
        if (blank(line)) {
          continue;
        }
        lines++;
        // Bytes, not a decoded string: a line that is not UTF-8 is rejected on its own, with the reason.
        var checked = validator.validate(line, file.getFileName() + ":" + number, 0L);
        if (checked instanceof DemonstrationValidator.Accepted a) {
          if (byId.putIfAbsent(a.demonstration().getId(), a.demonstration()) != null) {
            duplicates++;
          }
        } else if (checked instanceof DemonstrationValidator.Rejected r) {
          rejected++;
          if (first.isEmpty()) {
            first = "line " + number + ": " + r.message();
          }
        } else if (checked instanceof DemonstrationValidator.AcceptedPrompt p) {
          prompts.add(p.prompt().getText());
        }
      }
    }
    if (byId.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no valid demonstration"
          + (lines == 0 ? " (it is empty)" : " (" + first + "); each line must be a JSON object with "
              + "\"prompt\" and \"response\" strings"));
    }
    return new DemonstrationsFile(file, new ArrayList<>(byId.values()), new ArrayList<>(prompts), lines, rejected,
        duplicates, first);
  }

  /** One line for the terminal: what was found, and the first problem when there was one. */
  String summary() {
    String s = demonstrations.size() + " demonstrations" + (prompts.isEmpty() ? "" : " and " + prompts.size()
        + " practice prompts") + " in " + file;
    if (duplicates > 0) {
      s += ", " + duplicates + " repeated lines dropped";
    }
    if (rejected > 0) {
      s += "; " + rejected + " of " + lines + " lines are not valid demonstrations and are skipped (first: "
          + firstProblem + ")";
    }
    return s;
  }

  private static byte[] nextLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    boolean any = false;
    while ((b = in.read()) != -1) {
      any = true;
      if (b == '\n') {
        break;
      }
      line.write(b);
    }
    if (!any) {
      return null;
    }
    byte[] bytes = line.toByteArray();
    return bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? java.util.Arrays.copyOf(bytes, bytes.length - 1) : bytes;
  }

  private static boolean blank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t') {
        return false;
      }
    }
    return true;
  }
}
