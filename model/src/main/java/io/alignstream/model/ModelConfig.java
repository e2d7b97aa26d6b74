package io.alignstream.model;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alignstream.model.gpt2.Gpt2Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Shape of a decoder of any supported family, and what the rest of the system needs to know of it:
 * the vocabulary, the context, the width, the end tokens. Each family's record implements it
 * ({@link Gpt2Config} and the Llama family's), validates itself, and reads and writes the Hugging Face
 * {@code config.json} of its architecture; {@link #read} and {@link #fromJson} pick the family by
 * {@code model_type} (or {@code architectures}).
 */
public interface ModelConfig {
  /** File name of the configuration inside a model directory. */
  String FILE_NAME = "config.json";

  /** Number of token ids (rows of the embedding). */
  int vocabSize();

  /** Longest sequence, prompt and response together. */
  int contextLength();

  /** Model width d: the size of a hidden state. */
  int width();

  /** Number of decoder blocks. */
  int layers();

  /** Id a generation may start from when a prompt is empty. */
  int bosTokenId();

  /** The end token: what a finished training response ends with, and what pads a batch. */
  int eosTokenId();

  /** Whether generating {@code token} ends a response (the EOS, or any other end token of the model). */
  default boolean isEnd(long token) {
    return token == eosTokenId();
  }

  /**
   * This configuration with {@code ids} among its end tokens as well (in that order, after its own),
   * for the ids a model directory's other files name ({@link #readDir}). A family with a single end
   * token (GPT-2) keeps it and returns itself: its checkpoints name no other.
   */
  default ModelConfig withEndTokens(List<Integer> ids) {
    return this;
  }

  /** The forward pass of this family at this shape. */
  Network network();

  /** This configuration as the text of its Hugging Face {@code config.json}. */
  String toJson();

  /** Writes {@link #toJson()} to {@code file}. */
  default void write(Path file) throws IOException {
    Files.writeString(file, toJson());
  }

  /** Number of trainable scalars of the backbone (a tied output layer counted once). */
  default long parameterCount() {
    return network().spec().values().stream().mapToLong(Shape::size).sum();
  }

  /**
   * Why this model cannot take a prompt and response of these token ids (empty, longer than the
   * context, an id outside the vocabulary), or empty when it can: what every reader of token ids from
   * a topic checks before a tensor is built from them, since a bad id fails inside libtorch.
   */
  default Optional<String> unfit(long[] promptIds, long[] responseIds) {
    if (promptIds.length == 0) {
      return Optional.of("empty prompt");
    }
    if (responseIds.length == 0) {
      return Optional.of("empty response (not even EOS)");
    }
    if (promptIds.length + responseIds.length > contextLength()) {
      return Optional.of(promptIds.length + " + " + responseIds.length + " tokens exceed the context of "
          + contextLength());
    }
    for (long[] ids : new long[][] {promptIds, responseIds}) {
      for (long id : ids) {
        if (id < 0 || id >= vocabSize()) {
          return Optional.of("token id " + id + " outside the vocabulary [0, " + vocabSize() + ")");
        }
      }
    }
    return Optional.empty();
  }

  /** Reads a Hugging Face {@code config.json} of a supported family; unknown keys are ignored. */
  static ModelConfig read(Path file) throws IOException {
    return Families.parse(new ObjectMapper().readTree(file.toFile()), file.toString());
  }

  /** File name of the generation defaults in a Hugging Face model directory (its eos_token_id may list more ends). */
  String GENERATION_FILE_NAME = "generation_config.json";

  /**
   * Reads the {@code config.json} of a model directory, with the end tokens its other files name
   * added: the {@code eos_token_id} (one or a list) of {@value #GENERATION_FILE_NAME}, and the id of the
   * tokenizer's end token (its {@code tokenizer_config.json}'s {@code eos_token}, see {@link Tokenizer}).
   * Llama 3.1's config ends on {@code <|end_of_text|>} while its chat turns end on {@code <|eot_id|>};
   * a response trained to end with the tokenizer's end token must also end generation there.
   */
  static ModelConfig readDir(Path dir) throws IOException {
    ModelConfig config = read(dir.resolve(FILE_NAME));
    List<Integer> ends = new ArrayList<>();
    Path generation = dir.resolve(GENERATION_FILE_NAME);
    if (Files.isRegularFile(generation)) {
      JsonNode e = new ObjectMapper().readTree(generation.toFile()).path("eos_token_id");
      if (e.isArray()) {
        e.forEach(id -> ends.add(id.asInt()));
      } else if (e.canConvertToInt()) {
        ends.add(e.asInt());
      }
    }
    int tokenizerEnd = Tokenizer.endTokenId(dir);
    if (tokenizerEnd >= 0) {
      ends.add(tokenizerEnd);
    }
    return ends.isEmpty() ? config : config.withEndTokens(ends);
  }

  /** Reads the text of a Hugging Face {@code config.json} (e.g. from a published manifest). */
  static ModelConfig fromJson(String json) {
    JsonNode n;
    try {
      n = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(FILE_NAME + " is not valid JSON: " + e.getMessage(), e);
    }
    return Families.parse(n, FILE_NAME);
  }

  /** The integer at {@code key} of a family's {@code config.json} read from {@code origin}; missing is an error. */
  static int requiredInt(JsonNode n, String key, String origin) {
    JsonNode v = n.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new IllegalArgumentException(origin + ": missing integer key '" + key + "'");
    }
    return v.asInt();
  }

  /** A family's {@code config.json} tree as its text, pretty-printed as Hugging Face writes it. */
  static String toText(ObjectNode n) {
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a config always serialises", e);
    }
  }
}
