package io.alignstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.llama.LlamaConfig;

/** The supported model families, by the {@code model_type} and {@code architectures} of a {@code config.json}. */
final class Families {
  private Families() {}

  static ModelConfig parse(JsonNode n, String origin) {
    String type = type(n);
    if (type.equals("gpt2")) {
      return Gpt2Config.parse(n, origin);
    }
    LlamaConfig.Family llama = LlamaConfig.Family.ofModelType(type);
    if (llama != null) {
      return LlamaConfig.parse(n, llama, origin);
    }
    throw new IllegalArgumentException(origin + ": model_type '" + type + "' (architectures "
        + n.path("architectures") + ") is not supported; alignstream reads gpt2, llama, qwen2 and qwen3");
  }

  /** {@code model_type}, else the one an architecture name implies; configs written before it was kept are GPT-2. */
  private static String type(JsonNode n) {
    String type = n.path("model_type").asText("");
    if (!type.isEmpty()) {
      return type;
    }
    for (JsonNode a : n.path("architectures")) {
      if (a.asText().equals("GPT2LMHeadModel")) {
        return "gpt2";
      }
      LlamaConfig.Family f = LlamaConfig.Family.ofArchitecture(a.asText());
      if (f != null) {
        return f.modelType;
      }
    }
    return n.has("n_embd") ? "gpt2" : "";
  }
}
