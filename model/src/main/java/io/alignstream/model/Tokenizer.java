package io.alignstream.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} loaded offline through DJL's native tokenizers library, with
 * truncation, padding and special tokens all off: {@link #encode} returns exactly the tokens of the
 * text. The EOS id is {@code <|endoftext|>}. Thread-safe; close to free the native tokenizer.
 */
public final class Tokenizer implements AutoCloseable {
  public static final String FILE_NAME = "tokenizer.json";
  public static final String EOS_TOKEN = "<|endoftext|>";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The {@code tokenizer.json} text, read once at load: {@link #save} and {@link #toJson} must not
   * depend on the file still being there (a learner resumed from a checkpoint deletes that checkpoint
   * a few updates later, and its next save failed copying the tokenizer from it).
   */
  private final String json;
  private final HuggingFaceTokenizer native_;
  private final int vocabSize;
  private final int eosId;

  private Tokenizer(String json, HuggingFaceTokenizer tokenizer, int vocabSize, int eosId) {
    this.json = json;
    this.native_ = tokenizer;
    this.vocabSize = vocabSize;
    this.eosId = eosId;
  }

  /**
   * Loads {@code tokenizer.json} (or a model directory containing one).
   *
   * @throws IllegalArgumentException when the file is missing or has no {@value #EOS_TOKEN} token
   */
  public static Tokenizer load(Path fileOrDir) throws IOException {
    Path file = Files.isDirectory(fileOrDir) ? fileOrDir.resolve(FILE_NAME) : fileOrDir;
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no tokenizer at " + file);
    }
    return parse(Files.readString(file), file.toString());
  }

  /**
   * A tokenizer from the text of a {@code tokenizer.json} (e.g. from a published manifest, so that
   * readers on other hosts need no shared files).
   *
   * @throws IllegalArgumentException when the text has no {@value #EOS_TOKEN} token
   */
  public static Tokenizer fromJson(String json) throws IOException {
    return parse(json, "the tokenizer.json text");
  }

  private static Tokenizer parse(String text, String origin) throws IOException {
    JsonNode root = JSON.readTree(text);
    int size = 0;
    Integer eos = null;
    JsonNode vocab = root.path("model").path("vocab");
    for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      size = Math.max(size, e.getValue().asInt() + 1);
      if (e.getKey().equals(EOS_TOKEN)) {
        eos = e.getValue().asInt();
      }
    }
    for (JsonNode t : root.path("added_tokens")) {
      size = Math.max(size, t.path("id").asInt() + 1);
      if (t.path("content").asText().equals(EOS_TOKEN)) {
        eos = t.path("id").asInt();
      }
    }
    if (eos == null) {
      throw new IllegalArgumentException(origin + " has no " + EOS_TOKEN + " token");
    }
    BaseModel.engineDefaults();
    // Built from memory, not from a path: a temporary copy for the native library outlived every
    // process that was killed (150 leftover directories in /tmp after a day of fault-injection runs).
    HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    return new Tokenizer(text, tok, size, eos);
  }

  /** The {@code tokenizer.json} text this tokenizer was loaded from. */
  public String toJson() throws IOException {
    return json;
  }

  /** Token ids of {@code text}, nothing added. */
  public long[] encode(String text) {
    return native_.encode(text, false, false).getIds();
  }

  /** Ids of a finished response: {@code encode(text) ++ [eos]}. */
  public long[] responseIds(String text) {
    long[] ids = encode(text);
    long[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
    out[ids.length] = eosId;
    return out;
  }

  /** Text of {@code ids}, special tokens (EOS) dropped. */
  public String decode(long[] ids) {
    return native_.decode(ids, true);
  }

  public int eosId() {
    return eosId;
  }

  /** One more than the largest id (the model's vocabulary size). */
  public int vocabSize() {
    return vocabSize;
  }

  /** Writes the {@code tokenizer.json} this tokenizer was loaded from into {@code dir}. */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(FILE_NAME), json);
  }

  @Override
  public void close() {
    native_.close();
  }
}
