package io.alignstream.producer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Prompt;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the bytes of a raw record into a {@link Demonstration}, or says precisely why not.
 *
 * <p>A valid record is one UTF-8 JSON object with non-blank string fields {@code prompt} and
 * {@code response} (and optionally a string {@code source}; other fields are ignored), within the
 * configured limits, with no control characters but newline and tab. Texts are kept exactly as sent
 * (not trimmed): the prompt is what the model sees, trailing space included.
 *
 * <p>A record with {@code "kind": "prompt"} is a practice prompt instead: a {@code prompt} and no
 * {@code response}, for the samplers to answer and the reward model to judge (online prompts, as the
 * prompt set of RLHF), never trained on by SFT.
 */
public final class DemonstrationValidator {
  /** A run of letters/digits, or one other non-space character: one approximate token each. */
  private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}]");
  /** Turn markers that mean a whole conversation was put in one field instead of being split. */
  private static final Pattern TURN = Pattern.compile("\\n\\n(Human|Assistant):");

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  private final IngestConfig config;

  public DemonstrationValidator(IngestConfig config) {
    this.config = config;
  }

  /** The outcome of checking one record. */
  public sealed interface Checked permits Accepted, AcceptedPrompt, Rejected {}

  public record Accepted(Demonstration demonstration) implements Checked {}

  /** A practice prompt: one without a demonstration. */
  public record AcceptedPrompt(Prompt prompt) implements Checked {}

  public record Rejected(Rejection reason, String message) implements Checked {}

  /**
   * @param value the record's value bytes (null for a tombstone)
   * @param fallbackSource the source to record when the JSON names none, e.g. the topic coordinates
   * @param nowMs acceptance time
   */
  public Checked validate(byte[] value, String fallbackSource, long nowMs) {
    if (value == null) {
      return new Rejected(Rejection.EMPTY_RECORD, "the record has no value");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value)).toString();
    } catch (CharacterCodingException e) {
      return new Rejected(Rejection.BAD_UTF8, "the value is not valid UTF-8 (" + e.getMessage() + ")");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return new Rejected(Rejection.NOT_JSON, "the value is not one JSON document: " + e.getOriginalMessage());
    }
    if (root == null || root.isMissingNode()) {
      return new Rejected(Rejection.NOT_JSON, "the value is empty, not a JSON document");
    }
    if (!root.isObject()) {
      return new Rejected(Rejection.NOT_OBJECT, "expected a JSON object with prompt and response, got a "
          + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    Rejected badPrompt = checkField(root, "prompt", config.maxPromptChars(), config.maxPromptTokens());
    if (badPrompt != null) {
      return badPrompt;
    }
    JsonNode kind = root.get("kind");
    if (kind != null && !kind.isNull()) {
      if (!kind.isTextual()) {
        return new Rejected(Rejection.WRONG_TYPE, "field 'kind' must be a string, got " + kind(kind));
      }
      if (kind.asText().equals("prompt")) {
        JsonNode response = root.get("response");
        if (response != null && !response.isNull()) {
          return new Rejected(Rejection.MALFORMED, "a record of kind 'prompt' has no response; "
              + "send it without 'kind' to make it a demonstration");
        }
        String p = root.get("prompt").asText();
        return new AcceptedPrompt(Prompt.newBuilder().setPromptId(ContentId.ofPrompt(p)).setText(p).setRound(0)
            .setDemonstrationId(null).setCreatedAtMs(nowMs).build());
      }
      if (!kind.asText().equals("demonstration")) {
        return new Rejected(Rejection.MALFORMED, "field 'kind' must be 'demonstration' (the default) or 'prompt', got '"
            + kind.asText() + "'");
      }
    }
    Rejected badResponse = checkField(root, "response", config.maxResponseChars(), config.maxResponseTokens());
    if (badResponse != null) {
      return badResponse;
    }
    String p = root.get("prompt").asText();
    String r = root.get("response").asText();
    if (TURN.matcher(r).find()) {
      return new Rejected(Rejection.MALFORMED, "the response holds a conversation ('\\n\\nHuman:' or "
          + "'\\n\\nAssistant:'): send its last assistant turn as the response and the rest as the prompt");
    }
    String source = fallbackSource;
    JsonNode sourceNode = root.get("source");
    if (sourceNode != null && !sourceNode.isNull()) {
      if (!sourceNode.isTextual()) {
        return new Rejected(Rejection.WRONG_TYPE, "field 'source' must be a string, got " + kind(sourceNode));
      }
      if (!sourceNode.asText().isBlank()) {
        source = sourceNode.asText();
      }
    }
    return new Accepted(Demonstration.newBuilder()
        .setId(ContentId.ofDemonstration(p, r))
        .setPromptId(ContentId.ofPrompt(p))
        .setPrompt(p)
        .setResponse(r)
        .setSource(source)
        .setCreatedAtMs(nowMs)
        .build());
  }

  /** What is wrong with a text field, or null if nothing is. */
  private static Rejected checkField(JsonNode root, String name, int maxChars, int maxTokens) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return new Rejected(Rejection.MISSING_FIELD, "field '" + name + "' is missing");
    }
    if (!node.isTextual()) {
      return new Rejected(Rejection.WRONG_TYPE, "field '" + name + "' must be a string, got " + kind(node));
    }
    String text = node.asText();
    if (text.isBlank()) {
      return new Rejected(Rejection.EMPTY_FIELD, "field '" + name + "' is empty");
    }
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (Character.isISOControl(cp) && cp != '\n' && cp != '\t') {
        return new Rejected(Rejection.CONTROL_CHAR, String.format(java.util.Locale.ROOT,
            "field '%s' holds control character U+%04X at index %d (only \\n and \\t are allowed)", name, cp, i));
      }
      if (Character.getType(cp) == Character.SURROGATE) {
        return new Rejected(Rejection.MALFORMED, "field '" + name + "' holds a lone surrogate at index " + i);
      }
      i += Character.charCount(cp);
    }
    int chars = text.codePointCount(0, text.length());
    if (chars > maxChars) {
      return new Rejected(Rejection.TOO_LONG, "field '" + name + "' has " + chars + " characters, the limit is " + maxChars);
    }
    int tokens = approximateTokens(text);
    if (tokens > maxTokens) {
      return new Rejected(Rejection.TOO_MANY_TOKENS, "field '" + name + "' has about " + tokens
          + " tokens, the limit is " + maxTokens);
    }
    if (text.codePoints().noneMatch(Character::isLetterOrDigit)) {
      return new Rejected(Rejection.MALFORMED, "field '" + name + "' has no letter or digit");
    }
    return null;
  }

  /** Approximate token count: runs of letters/digits and single other non-space characters. */
  public static int approximateTokens(String text) {
    Matcher m = TOKEN.matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  private static String kind(JsonNode node) {
    return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}
