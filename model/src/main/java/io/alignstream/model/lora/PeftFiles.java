package io.alignstream.model.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The PEFT layout of a LoRA adapter directory, as {@code PeftModel.from_pretrained} reads it:
 * {@value #CONFIG_FILE} (the {@code LoraConfig}) beside {@value #WEIGHTS_FILE} (tensors named
 * {@code base_model.model.<module>.lora_A.weight} and {@code .lora_B.weight}).
 */
public final class PeftFiles {
  public static final String CONFIG_FILE = "adapter_config.json";
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";
  private static final ObjectMapper JSON = new ObjectMapper();

  private PeftFiles() {}

  /** Whether {@code dir} holds an adapter. */
  public static boolean present(Path dir) {
    return Files.isRegularFile(dir.resolve(CONFIG_FILE)) && Files.isRegularFile(dir.resolve(WEIGHTS_FILE));
  }

  /**
   * {@code adapter_config.json} for {@code config} with its targets resolved to module names (PEFT
   * matches them by suffix, as {@link LoraConfig#targets(String)} does).
   *
   * @param fanInFanOut whether the base stores the targeted weights (in, out) (GPT-2's Conv1D)
   * @param baseModel where the base model is, or null
   */
  public static String configJson(LoraConfig config, List<String> targetModules, boolean fanInFanOut, String baseModel) {
    ObjectNode n = JSON.createObjectNode();
    n.put("peft_type", "LORA");
    n.put("task_type", "CAUSAL_LM");
    n.put("r", config.rank());
    n.put("lora_alpha", config.alpha());
    n.put("lora_dropout", config.dropout());
    n.putArray("target_modules").addAll(targetModules.stream().map(JSON.getNodeFactory()::textNode).toList());
    n.put("fan_in_fan_out", fanInFanOut);
    n.put("bias", "none");
    n.put("init_lora_weights", true);
    n.put("inference_mode", true);
    n.putNull("modules_to_save");
    if (baseModel == null) {
      n.putNull("base_model_name_or_path");
    } else {
      n.put("base_model_name_or_path", baseModel);
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The adapter shape an {@code adapter_config.json} describes.
   *
   * @throws IllegalArgumentException when it is not a LoRA config this project can apply (another PEFT
   *     type, bias training, modules saved whole)
   */
  public static LoraConfig parseConfig(String json) {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("adapter_config.json is not JSON: " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("adapter_config.json is not a JSON object");
    }
    String type = n.path("peft_type").asText("");
    if (!type.equals("LORA")) {
      throw new IllegalArgumentException("adapter_config.json has peft_type '" + type + "'; only LORA is supported");
    }
    String bias = n.path("bias").asText("none");
    if (!bias.equals("none")) {
      throw new IllegalArgumentException("adapter_config.json trains biases (bias=" + bias + "); only bias=none is supported");
    }
    JsonNode saved = n.path("modules_to_save");
    if (saved.isArray() && !saved.isEmpty()) {
      throw new IllegalArgumentException("adapter_config.json saves whole modules " + saved + "; not supported");
    }
    List<String> targets = new ArrayList<>();
    JsonNode t = n.path("target_modules");
    if (t.isTextual()) {
      targets.add(t.asText());
    } else {
      t.forEach(x -> targets.add(x.asText()));
    }
    if (!n.has("r") || !n.has("lora_alpha")) {
      throw new IllegalArgumentException("adapter_config.json needs r and lora_alpha");
    }
    return new LoraConfig(n.get("r").asInt(), n.get("lora_alpha").asDouble(), n.path("lora_dropout").asDouble(0),
        targets);
  }

  /** Reads {@code dir/adapter_config.json}. */
  public static LoraConfig readConfig(Path dir) throws IOException {
    return parseConfig(Files.readString(dir.resolve(CONFIG_FILE)));
  }
}
