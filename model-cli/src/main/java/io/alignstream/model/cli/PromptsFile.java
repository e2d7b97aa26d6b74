package io.alignstream.model.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSONL file of prompts, one {@code {"prompt": "..."}} object a line (other fields kept, blank lines
 * skipped), as {@code generate --prompts} and {@code align --prompts / --eval-prompts} take it. Bad input
 * is one error naming the file and line, before any work starts.
 */
public final class PromptsFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PromptsFile() {}

  /** Every prompt object of {@code file}, in order; {@code what} names the file in the error when it is missing. */
  public static List<ObjectNode> read(Path file, String what) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(what + " file not found: " + file);
    }
    List<ObjectNode> rows = new ArrayList<>();
    int number = 0;
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException e) {
          throw new IllegalArgumentException(file + " line " + number + ": not JSON; each line must be "
              + "{\"prompt\": \"...\"}");
        }
        if (!(node instanceof ObjectNode o) || !o.path("prompt").isTextual()) {
          throw new IllegalArgumentException(file + " line " + number + ": expected an object with a \"prompt\" string");
        }
        rows.add(o);
      }
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(file + " is not UTF-8 text");
    }
    if (rows.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no prompt");
    }
    return rows;
  }

  /** The prompt texts of {@code file} ({@link #read}). */
  public static List<String> texts(Path file, String what) throws IOException {
    return read(file, what).stream().map(o -> o.get("prompt").asText()).toList();
  }
}
