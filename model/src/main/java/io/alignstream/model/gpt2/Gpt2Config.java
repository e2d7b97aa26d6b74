package io.alignstream.model.gpt2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Network;

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
public record Gpt2Config(
    int vocabSize,
    int contextLength,
    int width,
    int layers,
    int heads,
    double layerNormEps,
    int bosTokenId,
    int eosTokenId) implements ModelConfig {

  private static final ObjectMapper JSON = new ObjectMapper();

  public Gpt2Config {
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
  public static Gpt2Config tiny(int vocabSize, int eosTokenId) {
    return new Gpt2Config(vocabSize, 128, 128, 2, 4, 1e-5, eosTokenId, eosTokenId);
  }

  /** The GPT-2 small shape (12 layers, d=768, 12 heads, context 1024, vocabulary 50,257). */
  public static Gpt2Config gpt2Small() {
    return new Gpt2Config(50257, 1024, 768, 12, 12, 1e-5, 50256, 50256);
  }

  /**
   * A preset by name.
   *
   * @param name {@code tiny} or {@code gpt2-small}
   * @param vocabSize vocabulary size of the tokenizer in use (ignored by {@code gpt2-small})
   * @param eosTokenId end-of-sequence id of that tokenizer (ignored by {@code gpt2-small})
   */
  public static Gpt2Config preset(String name, int vocabSize, int eosTokenId) {
    return switch (name) {
      case "tiny" -> tiny(vocabSize, eosTokenId);
      case "gpt2-small" -> gpt2Small();
      default -> throw new IllegalArgumentException(
          "unknown preset '" + name + "': use tiny or gpt2-small");
    };
  }

  /** Width of one attention head. */
  public int headWidth() {
    return width / heads;
  }

  @Override
  public Network network() {
    return new Gpt2Network(this);
  }

  /**
   * A Hugging Face GPT-2 {@code config.json}, parsed; unknown keys are ignored.
   *
   * @param origin the file or text named in error messages
   */
  public static Gpt2Config parse(JsonNode n, String origin) {
    int vocab = ModelConfig.requiredInt(n, "vocab_size", origin);
    int eos = n.path("eos_token_id").asInt(vocab - 1);
    return new Gpt2Config(
        vocab,
        ModelConfig.requiredInt(n, "n_positions", origin),
        ModelConfig.requiredInt(n, "n_embd", origin),
        ModelConfig.requiredInt(n, "n_layer", origin),
        ModelConfig.requiredInt(n, "n_head", origin),
        n.path("layer_norm_epsilon").asDouble(1e-5),
        n.path("bos_token_id").asInt(eos),
        eos);
  }

  /** This configuration as the text of a Hugging Face GPT-2 {@code config.json}. */
  @Override
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
    return ModelConfig.toText(n);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("Gpt2Config: " + message);
    }
  }
}
