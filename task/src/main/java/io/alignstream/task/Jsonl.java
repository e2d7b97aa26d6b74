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

  /**
   * The string-valued fields of one flat JSON object; other values (numbers, booleans, null, nested
   * objects and arrays) are skipped.
   *
   * @throws IllegalArgumentException if the line is not a JSON object
   */
  static java.util.Map<String, String> stringFields(String line) {
    var reader = new Reader(line);
    var fields = new java.util.LinkedHashMap<String, String>();
    reader.expect('{');
    if (!reader.tryConsume('}')) {
      do {
        String name = reader.string();
        reader.expect(':');
        if (reader.peek() == '"') {
          fields.put(name, reader.string());
        } else {
          reader.skipValue();
        }
      } while (reader.tryConsume(','));
      reader.expect('}');
    }
    reader.end();
    return fields;
  }

  /** A cursor over JSON text, just enough for {@link #stringFields}. */
  private static final class Reader {
    private final String s;
    private int i;

    Reader(String s) {
      this.s = s;
    }

    char peek() {
      skipSpace();
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      return s.charAt(i);
    }

    void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      i++;
    }

    boolean tryConsume(char c) {
      if (peek() == c) {
        i++;
        return true;
      }
      return false;
    }

    void end() {
      skipSpace();
      if (i != s.length()) {
        throw error("trailing text");
      }
    }

    String string() {
      expect('"');
      var out = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == '"') {
          return out.toString();
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        if (i >= s.length()) {
          break;
        }
        char e = s.charAt(i++);
        switch (e) {
          case '"', '\\', '/' -> out.append(e);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            if (i + 4 > s.length()) {
              throw error("short \\u escape");
            }
            out.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          }
          default -> throw error("bad escape \\" + e);
        }
      }
      throw error("unterminated string");
    }

    void skipValue() {
      char c = peek();
      if (c == '"') {
        string();
      } else if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        i++;
        if (tryConsume(close)) {
          return;
        }
        do {
          if (c == '{') {
            string();
            expect(':');
          }
          skipValue();
        } while (tryConsume(','));
        expect(close);
      } else {
        int start = i;
        while (i < s.length() && "{}[],: \t\r\n\"".indexOf(s.charAt(i)) < 0) {
          i++;
        }
        if (i == start) {
          throw error("expected a value");
        }
      }
    }

    private void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("not a JSON object: " + what + " at character " + i);
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
