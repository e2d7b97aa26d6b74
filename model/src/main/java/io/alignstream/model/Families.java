package io.alignstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.alignstream.model.gpt2.Gpt2Config;

/** The supported model families, by the {@code model_type} and {@code architectures} of a {@code config.json}. */
final class Families {
  private Families() {}

  static ModelConfig parse(JsonNode n, String origin) {
    String type = type(n);
    return switch (type) {
      case "gpt2" -> Gpt2Config.parse(n, origin);
      default -> throw new IllegalArgumentException(origin + ": model_type '" + type + "' (architectures "
          + n.path("architectures") + ") is not supported; alignstream reads gpt2");
    };
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
    }
    return n.has("n_embd") ? "gpt2" : "";
  }
}
