package io.alignstream.model.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.model.Example;
import io.alignstream.model.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A pretraining corpus: one document a line, either plain text or a JSON object with {@code prompt}
 * and {@code response} (or {@code text}), decided line by line. A JSON document's text is the prompt
 * followed by the response, so the model learns to continue a prompt with its response.
 */
record Corpus(List<String> documents, int jsonLines, int textLines, int skipped) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Corpus read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("corpus file not found: " + file);
    }
    List<String> docs = new ArrayList<>();
    int json = 0;
    int text = 0;
    int skipped = 0;
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        String trimmed = line.strip();
        if (trimmed.isEmpty()) {
          continue;
        }
        String doc = trimmed.startsWith("{") ? fromJson(trimmed) : trimmed;
        if (doc == null) {
          skipped++;
        } else if (trimmed.startsWith("{")) {
          json++;
          docs.add(doc);
        } else {
          text++;
          docs.add(doc);
        }
      }
    }
    if (docs.isEmpty()) {
      throw new IllegalArgumentException("corpus " + file + " has no usable line (" + skipped + " skipped)");
    }
    return new Corpus(docs, json, text, skipped);
  }

  /** The document text of a JSON line, or null when it is not an object with prompt/response or text. */
  private static String fromJson(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      if (n.hasNonNull("prompt") || n.hasNonNull("response")) {
        String p = n.path("prompt").asText("");
        String r = n.path("response").asText("");
        return (p + " " + r).strip();
      }
      if (n.hasNonNull("text")) {
        return n.get("text").asText();
      }
      return null;
    } catch (IOException e) {
      return line; // a plain line that happens to start with '{'
    }
  }

  /**
   * Language-modelling examples: each document's tokens after a BOS prompt, cut into windows that fit
   * {@code context}; the last window of a document ends with EOS.
   */
  static List<Example> examples(List<String> docs, Tokenizer tok, int bos, int context) {
    List<Example> out = new ArrayList<>();
    int window = context - 1;
    for (String d : docs) {
      long[] ids = tok.responseIds(d);
      for (int from = 0; from < ids.length; from += window) {
        long[] chunk = java.util.Arrays.copyOfRange(ids, from, Math.min(ids.length, from + window));
        out.add(new Example(new long[] {bos}, chunk));
      }
    }
    return out;
  }
}
