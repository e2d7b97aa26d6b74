package io.alignstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Shape of a GPT-2-architecture decoder. Immutable; the compact constructor rejects impossible shapes
 * with a message that says which field to fix.
 *
 * <p>Reads and writes the Hugging Face {@code config.json} keys ({@code vocab_size}, {@code n_positions},
 * {@code n_embd}, {@code n_layer}, {@code n_head}, {@code layer_norm_epsilon}, {@code bos_token_id},
 * {@code eos_token_id}), so a directory written here loads in {@code transformers} as a GPT-2.
 *
 * @param vocabSize number of token ids (rows of {@code wte})
 * @param contextLength longest sequence, prompt and response together (rows of {@code wpe})
 * @param width model width d ({@code n_embd})
 * @param layers number of transformer blocks
 * @param heads attention heads; must divide {@code width}
 * @param layerNormEps epsilon of every layer norm
 * @param bosTokenId id a generation may start from when a prompt is empty
 * @param eosTokenId id that ends a response
 */
public record GptConfig(
    int vocabSize,
    int contextLength,
    int width,
    int layers,
    int heads,
    double layerNormEps,
    int bosTokenId,
    int eosTokenId) {

  public static final String FILE_NAME = "config.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  public GptConfig {
    require(vocabSize >= 2, "vocabSize must be >= 2, got " + vocabSize);
    require(contextLength >= 2, "contextLength must be >= 2, got " + contextLength);
    require(width >= 1 && layers >= 1 && heads >= 1,
        "width, layers and heads must be >= 1, got " + width + "/" + layers + "/" + heads);
    require(width % heads == 0, "width (" + width + ") must be a multiple of heads (" + heads + ")");
    require(layerNormEps > 0 && layerNormEps < 1, "layerNormEps must be in (0, 1), got " + layerNormEps);
    require(bosTokenId >= 0 && bosTokenId < vocabSize,
        "bosTokenId " + bosTokenId + " is outside the vocabulary [0, " + vocabSize + ")");
    require(eosTokenId >= 0 && eosTokenId < vocabSize,
        "eosTokenId " + eosTokenId + " is outside the vocabulary [0, " + vocabSize + ")");
  }

  /** 2 layers, d=128, 4 heads, context 128: trains on two CPU cores in minutes. */
  public static GptConfig tiny(int vocabSize, int eosTokenId) {
    return new GptConfig(vocabSize, 128, 128, 2, 4, 1e-5, eosTokenId, eosTokenId);
  }

  /** The GPT-2 small shape (12 layers, d=768, 12 heads, context 1024, vocabulary 50,257). */
  public static GptConfig gpt2Small() {
    return new GptConfig(50257, 1024, 768, 12, 12, 1e-5, 50256, 50256);
  }

  /**
   * A preset by name.
   *
   * @param name {@code tiny} or {@code gpt2-small}
   * @param vocabSize vocabulary size of the tokenizer in use (ignored by {@code gpt2-small})
   * @param eosTokenId end-of-sequence id of that tokenizer (ignored by {@code gpt2-small})
   */
  public static GptConfig preset(String name, int vocabSize, int eosTokenId) {
    return switch (name) {
      case "tiny" -> tiny(vocabSize, eosTokenId);
      case "gpt2-small" -> gpt2Small();
      default -> throw new IllegalArgumentException(
          "unknown preset '" + name + "': use tiny or gpt2-small");
    };
  }

  /**
   * Why this model cannot take a prompt and response of these token ids (empty, longer than the
   * context, an id outside the vocabulary), or empty when it can: what every reader of token ids from
   * a topic checks before a tensor is built from them, since a bad id fails inside libtorch.
   */
  public Optional<String> unfit(long[] promptIds, long[] responseIds) {
    if (promptIds.length == 0) {
      return Optional.of("empty prompt");
    }
    if (responseIds.length == 0) {
      return Optional.of("empty response (not even EOS)");
    }
    if (promptIds.length + responseIds.length > contextLength) {
      return Optional.of(promptIds.length + " + " + responseIds.length + " tokens exceed the context of "
          + contextLength);
    }
    for (long[] ids : new long[][] {promptIds, responseIds}) {
      for (long id : ids) {
        if (id < 0 || id >= vocabSize) {
          return Optional.of("token id " + id + " outside the vocabulary [0, " + vocabSize + ")");
        }
      }
    }
    return Optional.empty();
  }

  /** Width of one attention head. */
  public int headWidth() {
    return width / heads;
  }

  /** Number of trainable scalars (the lm head is tied to {@code wte} and not counted twice). */
  public long parameterCount() {
    long d = width;
    long perLayer = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d);
    return (long) vocabSize * d + (long) contextLength * d + layers * perLayer + 2 * d;
  }

  /** Matmul FLOPs of one forward pass per token at full context (6x this per trained token). */
  public double forwardFlopsPerToken() {
    double d = width;
    return 2.0 * (layers * 12.0 * d * d + (double) vocabSize * d) + 2.0 * layers * contextLength * d;
  }

  /** Reads a Hugging Face GPT-2 {@code config.json}; unknown keys are ignored. */
  public static GptConfig read(Path file) throws IOException {
    return parse(JSON.readTree(file.toFile()), file);
  }

  /** Reads the text of a Hugging Face GPT-2 {@code config.json} (e.g. from a published manifest). */
  public static GptConfig fromJson(String json) {
    try {
      return parse(JSON.readTree(json), Path.of(FILE_NAME));
    } catch (IOException e) {
      throw new IllegalArgumentException("config.json is not valid JSON: " + e.getMessage(), e);
    }
  }

  private static GptConfig parse(JsonNode n, Path file) {
    int vocab = requiredInt(n, "vocab_size", file);
    int eos = n.path("eos_token_id").asInt(vocab - 1);
    return new GptConfig(
        vocab,
        requiredInt(n, "n_positions", file),
        requiredInt(n, "n_embd", file),
        requiredInt(n, "n_layer", file),
        requiredInt(n, "n_head", file),
        n.path("layer_norm_epsilon").asDouble(1e-5),
        n.path("bos_token_id").asInt(eos),
        eos);
  }

  /** Writes this configuration as a Hugging Face GPT-2 {@code config.json}. */
  public void write(Path file) throws IOException {
    Files.writeString(file, toJson());
  }

  /** This configuration as the text of a Hugging Face GPT-2 {@code config.json}. */
  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add("GPT2LMHeadModel");
    n.put("model_type", "gpt2");
    n.put("activation_function", "gelu_new");
    n.put("vocab_size", vocabSize);
    n.put("n_positions", contextLength);
    n.put("n_ctx", contextLength);
    n.put("n_embd", width);
    n.put("n_layer", layers);
    n.put("n_head", heads);
    n.put("layer_norm_epsilon", layerNormEps);
    n.put("bos_token_id", bosTokenId);
    n.put("eos_token_id", eosTokenId);
    n.put("resid_pdrop", 0.0);
    n.put("embd_pdrop", 0.0);
    n.put("attn_pdrop", 0.0);
    n.put("tie_word_embeddings", true);
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a config always serialises", e);
    }
  }

  private static int requiredInt(JsonNode n, String key, Path file) {
    JsonNode v = n.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new IllegalArgumentException(file + ": missing integer key '" + key + "'");
    }
    return v.asInt();
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("GptConfig: " + message);
    }
  }
}
