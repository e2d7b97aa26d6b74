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
 * and {@code response} (or {@code text}), decided line by line. A prompt/response line trains the
 * response given the prompt (as the pipeline prompts the model); other lines are language modelling.
 */
record Corpus(List<Document> documents, int jsonLines, int textLines, int skipped) {
  /**
   * One line of the corpus. A JSON prompt/response line keeps its prompt apart ({@code prompt} not
   * null) so the model learns the response given the prompt, exactly as alignstream prompts it.
   */
  record Document(String prompt, String text) {
    /** Prompt and text together: what the tokenizer is built from. */
    String all() {
      return prompt == null ? text : (prompt + " " + text).strip();
    }
  }

  /** Every line's full text, for building a tokenizer. */
  List<String> texts() {
    return documents.stream().map(Document::all).toList();
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  static Corpus read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("corpus file not found: " + file);
    }
    List<Document> docs = new ArrayList<>();
    int json = 0;
    int text = 0;
    int skipped = 0;
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        String trimmed = line.strip();
        if (trimmed.isEmpty()) {
          continue;
        }
        Document doc = trimmed.startsWith("{") ? fromJson(trimmed) : new Document(null, trimmed);
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

  /** The document of a JSON line, or null when it is not an object with prompt/response or text. */
  private static Document fromJson(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      if (n.hasNonNull("prompt") || n.hasNonNull("response")) {
        String p = n.path("prompt").asText("").strip();
        String r = n.path("response").asText("").strip();
        return p.isEmpty() ? new Document(null, r) : new Document(p, r);
      }
      if (n.hasNonNull("text")) {
        return new Document(null, n.get("text").asText());
      }
      return null;
    } catch (IOException e) {
      return new Document(null, line); // a plain line that happens to start with '{'
    }
  }

  /**
   * Training examples. A prompt/response document that fits {@code context} is the response given
   * the prompt (no BOS: the pipeline prompts with the prompt's own tokens, so position 0 must be
   * a prompt token in training too). Any other document is language modelling: its tokens after a
   * BOS prompt, cut into windows that fit {@code context}; the last window ends with EOS.
   */
  static List<Example> examples(List<Document> docs, Tokenizer tok, int bos, int context) {
    List<Example> out = new ArrayList<>();
    int window = context - 1;
    for (Document doc : docs) {
      if (doc.prompt() != null && !doc.text().isEmpty()) {
        long[] p = tok.encode(doc.prompt());
        long[] r = tok.responseIds(doc.text());
        if (p.length > 0 && p.length + r.length <= context) {
          out.add(new Example(p, r));
          continue;
        }
      }
      String d = doc.all();
      long[] ids = tok.responseIds(d);
      for (int from = 0; from < ids.length; from += window) {
        long[] chunk = java.util.Arrays.copyOfRange(ids, from, Math.min(ids.length, from + window));
        out.add(new Example(new long[] {bos}, chunk));
      }
    }
    return out;
  }
}
