package io.alignstream.task;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/** Writes JSON lines of string fields; the task has no JSON library and needs only this. */
final class Jsonl {
  private Jsonl() {}

  /** One JSON object from alternating field names and string values. */
  static String object(String... namesAndValues) {
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (i > 0) {
        out.append(", ");
      }
      quote(out, namesAndValues[i]);
      out.append(": ");
      quote(out, namesAndValues[i + 1]);
    }
    return out.append('}').toString();
  }

  static <T> void write(Path file, List<T> items, Function<T, String> line) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (T item : items) {
        w.write(line.apply(item));
        w.write('\n');
      }
    }
  }

  private static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
