package io.alignstream.producer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns one input line into the raw topic's normalized JSON {@code {"prompt","response","source"}}.
 *
 * <p>It only reshapes: it neither trims nor checks the texts, so a file and any other client go
 * through exactly the same validation in the {@link IngestTopology}. A line it cannot read at all
 * gives no result; the caller sends it raw, and the topology dead-letters it with the reason.
 *
 * @param format the line format, or {@link InputFormat#AUTO}
 * @param promptField prompt field name of {@link InputFormat#PROMPT_RESPONSE}
 * @param responseField response field name of {@link InputFormat#PROMPT_RESPONSE}
 * @param conversationField text field of {@link InputFormat#CONVERSATION}
 */
public record LineNormalizer(InputFormat format, String promptField, String responseField, String conversationField) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ASSISTANT = "\n\nAssistant:";
  private static final String HUMAN = "\n\nHuman:";

  public LineNormalizer {
    Objects.requireNonNull(format, "format");
    for (String field : new String[] {promptField, responseField, conversationField}) {
      if (field == null || field.isBlank()) {
        throw new IllegalArgumentException("field names must not be blank");
      }
    }
  }

  /** Auto-detected format with the usual field names ({@code prompt}, {@code response}, {@code chosen}). */
  public static LineNormalizer auto() {
    return new LineNormalizer(InputFormat.AUTO, "prompt", "response", "chosen");
  }

  /** The normalized JSON bytes, or empty if the line is not a demonstration in this format. */
  public Optional<byte[]> normalize(String line, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    if (root == null || !root.isObject()) {
      return Optional.empty();
    }
    Optional<String[]> pair = switch (format) {
      case PROMPT_RESPONSE -> fields(root, promptField, responseField);
      case HH -> fields(root, "prompt", "label");
      case CONVERSATION -> conversation(root.get(conversationField));
      case AUTO -> fields(root, promptField, responseField)
          .or(() -> fields(root, "prompt", "label"))
          .or(() -> conversation(root.get(conversationField)));
    };
    return pair.map(p -> {
      ObjectNode out = JSON.createObjectNode();
      out.put("prompt", p[0]);
      out.put("response", p[1]);
      out.put("source", source);
      return out.toString().getBytes(StandardCharsets.UTF_8);
    });
  }

  private static Optional<String[]> fields(JsonNode root, String prompt, String response) {
    JsonNode p = root.get(prompt);
    JsonNode r = root.get(response);
    // A field of the wrong type makes the line unreadable here; sent raw, the topology names the problem.
    if (p == null || r == null || !p.isTextual() || !r.isTextual()) {
      return Optional.empty();
    }
    return Optional.of(new String[] {p.asText(), r.asText()});
  }

  /** Splits {@code \n\nHuman: q\n\nAssistant: a} at its last assistant turn. */
  static Optional<String[]> conversation(JsonNode node) {
    if (node == null || !node.isTextual()) {
      return Optional.empty();
    }
    String text = node.asText();
    int last = text.lastIndexOf(ASSISTANT);
    if (last < 0 || !text.contains(HUMAN)) {
      return Optional.empty();
    }
    int end = last + ASSISTANT.length();
    String prompt = text.substring(0, end).stripLeading();
    String response = text.substring(end).strip();
    return Optional.of(new String[] {prompt, response});
  }
}
