package io.alignstream.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Network;
import java.util.ArrayList;
import java.util.List;

/**
 * Shape of a Llama-family decoder: Llama 2 and 3 (and SmolLM2, TinyLlama), Qwen2 (Qwen2.5) and Qwen3.
 * Immutable; the compact constructor rejects impossible shapes with a message that names the field.
 *
 * <p>Reads and writes the Hugging Face {@code config.json} of {@code LlamaForCausalLM},
 * {@code Qwen2ForCausalLM} and {@code Qwen3ForCausalLM}; a key whose value this implementation does not
 * compute (another activation, sliding-window attention, a rope scaling other than Llama 3's, an MLP
 * bias) is refused with the key's name rather than silently ignored.
 *
 * @param family which of the three architectures: decides the q/k/v biases and the q/k norms
 * @param vocabSize number of token ids ({@code vocab_size})
 * @param contextLength longest sequence ({@code max_position_embeddings})
 * @param width model width d ({@code hidden_size})
 * @param intermediateSize width of the SwiGLU MLP ({@code intermediate_size})
 * @param layers decoder blocks ({@code num_hidden_layers})
 * @param heads query heads ({@code num_attention_heads})
 * @param kvHeads key and value heads ({@code num_key_value_heads}); divides {@code heads}
 * @param headDim width of one head ({@code head_dim}; {@code hidden_size / num_attention_heads} unless
 *     given, as Qwen3 does), even
 * @param rmsNormEps epsilon of every RMSNorm ({@code rms_norm_eps})
 * @param ropeTheta rotary base ({@code rope_theta})
 * @param ropeScaling Llama 3's rotary scaling, or null for none
 * @param tiedEmbeddings whether the output layer is the embedding ({@code tie_word_embeddings})
 * @param attentionBias Llama's and Qwen3's {@code attention_bias}: biases on q, k, v and o (Qwen2 always
 *     has q/k/v biases and no o bias, whatever this says)
 * @param bosTokenId id a generation may start from when a prompt is empty
 * @param eosTokenIds ids that end a response ({@code eos_token_id}, one or a list); the first is the EOS
 *     that ends training responses and pads batches
 */
public record LlamaConfig(
    Family family,
    int vocabSize,
    int contextLength,
    int width,
    int intermediateSize,
    int layers,
    int heads,
    int kvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    boolean tiedEmbeddings,
    boolean attentionBias,
    int bosTokenId,
    List<Integer> eosTokenIds) implements ModelConfig {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The architectures read and written, by their {@code model_type}. */
  public enum Family {
    LLAMA("llama", "LlamaForCausalLM"),
    QWEN2("qwen2", "Qwen2ForCausalLM"),
    QWEN3("qwen3", "Qwen3ForCausalLM");

    public final String modelType;
    public final String architecture;

    Family(String modelType, String architecture) {
      this.modelType = modelType;
      this.architecture = architecture;
    }

    /** The family of a {@code model_type}, or null when it is not one of these. */
    public static Family ofModelType(String type) {
      for (Family f : values()) {
        if (f.modelType.equals(type)) {
          return f;
        }
      }
      return null;
    }

    /** The family of an {@code architectures} entry, or null. */
    public static Family ofArchitecture(String architecture) {
      for (Family f : values()) {
        if (f.architecture.equals(architecture)) {
          return f;
        }
      }
      return null;
    }
  }

  /**
   * Llama 3's {@code rope_scaling} ({@code rope_type: llama3}): wavelengths longer than
   * {@code originalContext / lowFreqFactor} are stretched by {@code factor}, those shorter than
   * {@code originalContext / highFreqFactor} kept, and those between blended linearly.
   */
  public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalContext) {
    public RopeScaling {
      require(factor >= 1, "rope_scaling.factor must be >= 1, got " + factor);
      require(lowFreqFactor > 0 && highFreqFactor > lowFreqFactor,
          "rope_scaling needs 0 < low_freq_factor < high_freq_factor, got " + lowFreqFactor + " and " + highFreqFactor);
      require(originalContext >= 1,
          "rope_scaling.original_max_position_embeddings must be >= 1, got " + originalContext);
    }
  }

  public LlamaConfig {
    require(family != null, "family is required");
    require(vocabSize >= 2, "vocab_size must be >= 2, got " + vocabSize);
    require(contextLength >= 2, "max_position_embeddings must be >= 2, got " + contextLength);
    require(width >= 1 && intermediateSize >= 1 && layers >= 1,
        "hidden_size, intermediate_size and num_hidden_layers must be >= 1, got " + width + "/" + intermediateSize
            + "/" + layers);
    require(heads >= 1 && kvHeads >= 1 && heads % kvHeads == 0,
        "num_attention_heads (" + heads + ") must be a multiple of num_key_value_heads (" + kvHeads + ")");
    require(headDim >= 2 && headDim % 2 == 0, "head_dim must be even and >= 2 (rotary pairs), got " + headDim);
    require(rmsNormEps > 0 && rmsNormEps < 1, "rms_norm_eps must be in (0, 1), got " + rmsNormEps);
    require(ropeTheta > 1, "rope_theta must be > 1, got " + ropeTheta);
    require(bosTokenId >= 0 && bosTokenId < vocabSize,
        "bos_token_id " + bosTokenId + " is outside the vocabulary [0, " + vocabSize + ")");
    require(eosTokenIds != null && !eosTokenIds.isEmpty(), "eos_token_id is required");
    eosTokenIds = List.copyOf(eosTokenIds);
    for (int id : eosTokenIds) {
      require(id >= 0 && id < vocabSize, "eos_token_id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
    }
  }

  /**
   * A tiny Llama-family decoder the size of the GPT-2 tiny preset: 2 layers, d=128, 4 query and 2
   * key/value heads of width 32, a SwiGLU of width 352 (about GPT-2's 4d MLP in weights), context 128,
   * tied embeddings.
   */
  public static LlamaConfig tiny(Family family, int vocabSize, int eosTokenId) {
    return new LlamaConfig(family, vocabSize, 128, 128, 352, 2, 4, 2, 32, 1e-5, 10000, null, true, false,
        eosTokenId, List.of(eosTokenId));
  }

  /** SmolLM2-135M's shape (30 layers, d=576, 9 query and 3 key/value heads, vocabulary 49,152). */
  public static LlamaConfig smolLm2() {
    return new LlamaConfig(Family.LLAMA, 49152, 8192, 576, 1536, 30, 9, 3, 64, 1e-5, 100000, null, true, false, 1,
        List.of(2));
  }

  /** The EOS: the first end token. */
  @Override
  public int eosTokenId() {
    return eosTokenIds.get(0);
  }

  @Override
  public boolean isEnd(long token) {
    for (int id : eosTokenIds) {
      if (id == token) {
        return true;
      }
    }
    return false;
  }

  /** This configuration with {@code ids} added to its end tokens (those not already there, in order). */
  @Override
  public LlamaConfig withEndTokens(List<Integer> ids) {
    List<Integer> ends = new ArrayList<>(eosTokenIds);
    ids.stream().filter(id -> !ends.contains(id)).forEach(ends::add);
    return ends.equals(eosTokenIds) ? this : new LlamaConfig(family, vocabSize, contextLength, width, intermediateSize,
        layers, heads, kvHeads, headDim, rmsNormEps, ropeTheta, ropeScaling, tiedEmbeddings, attentionBias, bosTokenId,
        ends);
  }

  /** Query heads that share one key/value head. */
  public int groupSize() {
    return heads / kvHeads;
  }

  /** Whether q, k and v projections have biases (Qwen2 always; Llama and Qwen3 with {@code attention_bias}). */
  public boolean qkvBias() {
    return family == Family.QWEN2 || attentionBias;
  }

  /** Whether the output projection has a bias (Llama and Qwen3 with {@code attention_bias}). */
  public boolean outputBias() {
    return family != Family.QWEN2 && attentionBias;
  }

  /** Whether queries and keys are RMS-normalised per head before the rotation (Qwen3). */
  public boolean qkNorm() {
    return family == Family.QWEN3;
  }

  @Override
  public Network network() {
    return new LlamaNetwork(this);
  }

  /**
   * A Hugging Face {@code config.json} of one of the three families, parsed; unknown keys are ignored.
   *
   * @param family the family its {@code model_type} or {@code architectures} named
   * @param origin the file or text named in error messages
   */
  public static LlamaConfig parse(JsonNode n, Family family, String origin) {
    String act = n.path("hidden_act").asText("silu");
    requireKey(act.equals("silu"), origin, "hidden_act '" + act + "' (only silu, SwiGLU)");
    requireKey(!n.path("mlp_bias").asBoolean(false), origin, "mlp_bias true");
    requireKey(!n.path("use_sliding_window").asBoolean(false), origin, "use_sliding_window true");
    // transformers 5 nests the rotary settings under rope_parameters; 4.x has rope_theta and rope_scaling.
    JsonNode rope = n.path("rope_parameters");
    double theta = n.has("rope_theta") ? n.get("rope_theta").asDouble() : rope.path("rope_theta").asDouble(10000);
    RopeScaling scaling = ropeScaling(n.hasNonNull("rope_scaling") ? n.get("rope_scaling") : rope, origin);
    int vocab = ModelConfig.requiredInt(n, "vocab_size", origin);
    int width = ModelConfig.requiredInt(n, "hidden_size", origin);
    int heads = ModelConfig.requiredInt(n, "num_attention_heads", origin);
    List<Integer> eos = new ArrayList<>();
    JsonNode e = n.path("eos_token_id");
    if (e.isArray()) {
      e.forEach(id -> eos.add(id.asInt()));
    } else if (e.canConvertToInt()) {
      eos.add(e.asInt());
    } else {
      throw new IllegalArgumentException(origin + ": missing integer key 'eos_token_id'");
    }
    JsonNode bos = n.path("bos_token_id");
    return new LlamaConfig(
        family,
        vocab,
        ModelConfig.requiredInt(n, "max_position_embeddings", origin),
        width,
        ModelConfig.requiredInt(n, "intermediate_size", origin),
        ModelConfig.requiredInt(n, "num_hidden_layers", origin),
        heads,
        n.path("num_key_value_heads").asInt(heads),
        n.hasNonNull("head_dim") ? n.get("head_dim").asInt() : width / heads,
        n.path("rms_norm_eps").asDouble(1e-6),
        theta,
        scaling,
        n.path("tie_word_embeddings").asBoolean(false),
        n.path("attention_bias").asBoolean(false),
        bos.canConvertToInt() ? bos.asInt() : eos.get(0),
        eos);
  }

  private static RopeScaling ropeScaling(JsonNode s, String origin) {
    if (s == null || s.isMissingNode() || s.isNull()) {
      return null;
    }
    String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("default");
    if (type.equals("default")) {
      return null;
    }
    requireKey(type.equals("llama3"), origin, "rope_scaling of type '" + type + "' (only llama3)");
    return new RopeScaling(s.path("factor").asDouble(), s.path("low_freq_factor").asDouble(),
        s.path("high_freq_factor").asDouble(), s.path("original_max_position_embeddings").asInt());
  }

  /** This configuration as the text of its family's Hugging Face {@code config.json}. */
  @Override
  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add(family.architecture);
    n.put("model_type", family.modelType);
    n.put("vocab_size", vocabSize);
    n.put("max_position_embeddings", contextLength);
    n.put("hidden_size", width);
    n.put("intermediate_size", intermediateSize);
    n.put("num_hidden_layers", layers);
    n.put("num_attention_heads", heads);
    n.put("num_key_value_heads", kvHeads);
    n.put("head_dim", headDim);
    n.put("hidden_act", "silu");
    n.put("rms_norm_eps", rmsNormEps);
    n.put("rope_theta", ropeTheta);
    if (ropeScaling == null) {
      n.putNull("rope_scaling");
    } else {
      ObjectNode s = n.putObject("rope_scaling");
      s.put("rope_type", "llama3");
      s.put("factor", ropeScaling.factor());
      s.put("low_freq_factor", ropeScaling.lowFreqFactor());
      s.put("high_freq_factor", ropeScaling.highFreqFactor());
      s.put("original_max_position_embeddings", ropeScaling.originalContext());
    }
    n.put("tie_word_embeddings", tiedEmbeddings);
    if (family == Family.QWEN2) {
      n.put("use_sliding_window", false);
    } else {
      n.put("attention_bias", attentionBias);
    }
    if (family == Family.LLAMA) {
      n.put("mlp_bias", false);
    }
    n.put("attention_dropout", 0.0);
    n.put("bos_token_id", bosTokenId);
    if (eosTokenIds.size() == 1) {
      n.put("eos_token_id", eosTokenIds.get(0));
    } else {
      ArrayNode a = n.putArray("eos_token_id");
      eosTokenIds.forEach(a::add);
    }
    n.put("torch_dtype", "float32");
    return ModelConfig.toText(n);
  }

  private static void requireKey(boolean ok, String origin, String what) {
    if (!ok) {
      throw new IllegalArgumentException(origin + ": " + what + " is not supported");
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("LlamaConfig: " + message);
    }
  }
}
