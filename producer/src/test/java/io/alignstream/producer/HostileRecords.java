package io.alignstream.producer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alignstream.schemas.ContentId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A seeded mix of hostile and valid raw records, each labelled with what the ingest topology must
 * do with it: the same seed gives the same bytes, so a failure is reproducible.
 *
 * <p>Every hostile kind of issue #8 is here: malformed JSON, JSON that is not an object, wrong types,
 * missing fields, invalid UTF-8, control characters (escaped and raw), empty values and tombstones,
 * huge prompts (too many characters or too many tokens), text that is not text, records close to
 * the raw topic's size cap, and values of 10 MB, larger than any record the raw topic takes.
 */
final class HostileRecords {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] WORDS = {"how", "do", "I", "plant", "tomatoes", "in", "a", "small", "garden",
      "explain", "why", "the", "sky", "is", "blue", "write", "poem", "about", "rain", "café", "naïve", "東京",
      "données", "Ünïcödé", "😀", "quote\"d", "back\\slash", "tab\there", "line\nbreak", "🚀", "ß", "Ω"};

  /** What the topology must do with a record of a kind. */
  enum Kind {
    VALID(Set.of()),
    MALFORMED_JSON(Set.of(Rejection.NOT_JSON)),
    NOT_AN_OBJECT(Set.of(Rejection.NOT_OBJECT)),
    WRONG_TYPE(Set.of(Rejection.WRONG_TYPE)),
    MISSING_FIELD(Set.of(Rejection.MISSING_FIELD)),
    BAD_UTF8(Set.of(Rejection.BAD_UTF8)),
    /** Escaped in the JSON ({@code \u0001}): valid JSON carrying a control character. */
    CONTROL_CHAR(Set.of(Rejection.CONTROL_CHAR)),
    /** Raw in the bytes: JSON forbids unescaped control characters in strings. */
    RAW_CONTROL_CHAR(Set.of(Rejection.NOT_JSON)),
    /** A zero-length value or white space only. */
    EMPTY_VALUE(Set.of(Rejection.NOT_JSON)),
    TOMBSTONE(Set.of(Rejection.EMPTY_RECORD)),
    EMPTY_FIELD(Set.of(Rejection.EMPTY_FIELD)),
    HUGE_PROMPT(Set.of(Rejection.TOO_LONG, Rejection.TOO_MANY_TOKENS)),
    /** No letter or digit, a lone surrogate, or a whole conversation as the response. */
    NOT_TEXT(Set.of(Rejection.MALFORMED)),
    /** Just under the raw topic's cap: stored there, so it must be dead-lettered like any other. */
    NEAR_CAP(Set.of(Rejection.TOO_LONG)),
    /** Twice the raw topic's cap, under the producer's request limit: the broker refuses it, the producer is told why. */
    OVER_CAP(Set.of()),
    /** 10 MB: larger than any request the producer makes, so it refuses it itself and says why. */
    TEN_MEGABYTES(Set.of());

    final Set<Rejection> reasons;

    Kind(Set<Rejection> reasons) {
      this.reasons = reasons;
    }

    boolean hostile() {
      return this != VALID;
    }

    /** Whether the record can be stored in the raw topic at all. */
    boolean storable() {
      return this != OVER_CAP && this != TEN_MEGABYTES;
    }
  }

  /** One record: {@code value} null is a tombstone; {@code id} is unique in a mix. */
  record Raw(int id, Kind kind, byte[] key, byte[] value) {
    /** The content id of a valid record's demonstration. */
    String demonstrationId() {
      try {
        var node = JSON.readTree(value);
        return ContentId.ofDemonstration(node.get("prompt").asText(), node.get("response").asText());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("not a valid record: " + kind, e);
      }
    }
  }

  private final Random random;
  private final int capBytes;
  private int nextId;

  /** @param capBytes the largest record the raw topic takes ({@code max.message.bytes}) */
  HostileRecords(long seed, int capBytes) {
    this.random = new Random(seed);
    this.capBytes = capBytes;
  }

  /**
   * {@code hostile} storable hostile records (every kind, including {@code nearCap} near the cap),
   * {@code valid} distinct valid ones, and {@code refused} records too large to store (half over
   * the cap, half of 10 MB), shuffled together.
   */
  List<Raw> mix(int hostile, int valid, int nearCap, int refused) {
    List<Raw> out = new ArrayList<>();
    List<Kind> kinds = new ArrayList<>();
    for (Kind k : Kind.values()) {
      if (k.hostile() && k.storable() && k != Kind.NEAR_CAP) {
        kinds.add(k);
      }
    }
    for (int i = 0; i < nearCap; i++) {
      out.add(record(Kind.NEAR_CAP));
    }
    for (int i = 0; i < hostile - nearCap; i++) {
      out.add(record(kinds.get(i % kinds.size())));
    }
    for (int i = 0; i < valid; i++) {
      out.add(record(Kind.VALID));
    }
    for (int i = 0; i < refused; i++) {
      out.add(record(i % 2 == 0 ? Kind.OVER_CAP : Kind.TEN_MEGABYTES));
    }
    Collections.shuffle(out, random);
    return out;
  }

  Raw record(Kind kind) {
    int id = nextId++;
    byte[] key = switch (random.nextInt(3)) {
      case 0 -> null;
      case 1 -> ("k" + id).getBytes(StandardCharsets.UTF_8);
      default -> randomBytes(1 + random.nextInt(40));
    };
    return new Raw(id, kind, key, value(kind, id));
  }

  private byte[] value(Kind kind, int id) {
    return switch (kind) {
      case VALID -> utf8(valid(id));
      case MALFORMED_JSON -> utf8(malformed(id));
      case NOT_AN_OBJECT -> utf8(pick("[]", "[" + valid(id) + "]", "42", "-0.5e3", "\"just a string\"", "true",
          "null", "[1, 2, 3]"));
      case WRONG_TYPE -> utf8(wrongType(id));
      case MISSING_FIELD -> utf8(pick(
          "{\"response\": " + q(words(5)) + "}",
          "{\"prompt\": " + q(words(5)) + "}",
          "{}",
          "{\"prompt\": null, \"response\": " + q(words(4)) + "}",
          "{\"prompt\": " + q(words(4)) + ", \"response\": null}",
          "{\"Prompt\": " + q(words(4)) + ", \"Response\": " + q(words(4)) + "}",
          "{\"question\": " + q(words(4)) + ", \"answer\": " + q(words(4)) + "}"));
      case BAD_UTF8 -> badUtf8(id);
      case CONTROL_CHAR -> utf8(controlChar(id));
      case RAW_CONTROL_CHAR -> rawControlChar(id);
      case EMPTY_VALUE -> utf8(pick("", " ", "\n", "\t \r\n", "   "));
      case TOMBSTONE -> null;
      case EMPTY_FIELD -> utf8(pick(
          "{\"prompt\": \"\", \"response\": " + q(words(4)) + "}",
          "{\"prompt\": " + q(words(4)) + ", \"response\": \"\"}",
          "{\"prompt\": \"   \\n\\t \", \"response\": " + q(words(4)) + "}"));
      case HUGE_PROMPT -> utf8(hugePrompt(id));
      case NOT_TEXT -> utf8(pick(
          object("?!… ... ---", words(5)),
          object(words(5), "😀🚀 !!! ..."),
          "{\"prompt\": \"Q" + id + " lone \\ud83d surrogate\", \"response\": " + q(words(4)) + "}",
          object(words(5), "Sure.\n\nHuman: and then?\n\nAssistant: more " + id)));
      // Room for the key, headers and batch envelope (~200 bytes here), which count towards the cap too.
      case NEAR_CAP -> filled(id, capBytes - 400);
      case OVER_CAP -> filled(id, 2 * capBytes);
      case TEN_MEGABYTES -> filled(id, 10 * 1024 * 1024);
    };
  }

  /** A demonstration every rule accepts, unique by its id; now and then long, or with odd but legal text. */
  private String valid(int id) {
    String prompt = "Q" + id + " " + words(3 + random.nextInt(20));
    String response = "A" + id + " " + words(3 + random.nextInt(40));
    if (random.nextInt(50) == 0) {
      response = response + " " + words(2_000); // long, well under the 16,000-character limit
    }
    ObjectNode node = JSON.createObjectNode().put("prompt", prompt).put("response", response);
    if (random.nextBoolean()) {
      node.put("source", "hostile-test");
    }
    return node.toString();
  }

  private String malformed(int id) {
    String good = valid(id);
    return switch (random.nextInt(12)) {
      case 0 -> good.substring(0, 1 + random.nextInt(good.length() - 1)); // truncated
      case 1 -> good + " trailing";
      case 2 -> good + good; // two documents
      case 3 -> "{\"prompt\": " + q(words(3)) + ", \"prompt\": " + q(words(3)) + ", \"response\": \"x" + id + "\"}";
      case 4 -> "{'prompt': '" + id + "', 'response': 'single quotes'}";
      case 5 -> "{prompt: \"" + id + "\", response: \"unquoted keys\"}";
      case 6 -> "{\"prompt\": \"" + id + "\", \"response\": \"trailing comma\",}";
      case 7 -> "[".repeat(2_000 + random.nextInt(50_000)); // deeper than any parser should recurse
      case 8 -> "{\"prompt\": \"" + id + "\", \"response\": NaN}";
      case 9 -> "// a comment\n" + good;
      case 10 -> "{\"prompt\": " + "9".repeat(5_000) + ", \"response\": \"huge number " + id + "\"}";
      default -> good.replaceFirst("\"", "");
    };
  }

  private String wrongType(int id) {
    String word = words(4);
    return switch (random.nextInt(7)) {
      case 0 -> "{\"prompt\": " + id + ", \"response\": " + q(word) + "}";
      case 1 -> "{\"prompt\": " + q(word) + ", \"response\": [" + q(word) + "]}";
      case 2 -> "{\"prompt\": {\"text\": " + q(word) + "}, \"response\": " + q(word) + "}";
      case 3 -> "{\"prompt\": true, \"response\": " + q(word) + "}";
      case 4 -> "{\"prompt\": " + q(word) + ", \"response\": 1e999999}";
      case 5 -> object(words(4), words(4)).replace("}", ", \"source\": 7}");
      default -> object(words(4), words(4)).replace("}", ", \"source\": [\"file\"]}");
    };
  }

  /** Invalid UTF-8 inside a string value of an otherwise valid demonstration. */
  private byte[] badUtf8(int id) {
    byte[][] bad = {
        {(byte) 0xFF}, {(byte) 0xFE, (byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, // never valid; overlong '/'
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // an encoded surrogate
        {(byte) 0x80}, {(byte) 0xBF, (byte) 0xBF}, // continuation bytes alone
        {(byte) 0xE2, (byte) 0x82}, // truncated sequence
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // beyond U+10FFFF
        {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, // 5-byte form
        {'c', 'a', 'f', (byte) 0xE9}}; // Latin-1
    String marker = "MARK";
    byte[] text = utf8(object("Q" + id + " " + words(3) + " " + marker + " " + words(2), words(6)));
    int at = indexOf(text, utf8(marker));
    var out = new ByteArrayOutputStream();
    out.write(text, 0, at);
    out.writeBytes(bad[random.nextInt(bad.length)]);
    out.write(text, at + marker.length(), text.length - at - marker.length());
    return out.toByteArray();
  }

  /** A control character in the prompt or the response; JSON escapes those below U+0020 and carries the rest raw. */
  private String controlChar(int id) {
    char[] controls = {0x00, 0x01, 0x07, 0x08, 0x0B, 0x0C, 0x0D, 0x1B, 0x1F, 0x7F, 0x85, 0x9B};
    String text = words(3) + controls[random.nextInt(controls.length)] + words(2);
    return random.nextBoolean() ? object("Q" + id + " " + text, words(3)) : object("Q" + id + " " + words(3), text);
  }

  private byte[] rawControlChar(int id) {
    String marker = "MARK";
    byte[] text = utf8(object("Q" + id + " " + words(2) + marker, words(4)));
    int at = indexOf(text, utf8(marker));
    byte[] out = text.clone();
    byte[] controls = {0x00, 0x01, 0x07, 0x0A, 0x0D, 0x1B, 0x1F};
    for (int i = 0; i < marker.length(); i++) {
      out[at + i] = controls[random.nextInt(controls.length)];
    }
    return out;
  }

  private String hugePrompt(int id) {
    String unique = "Q" + id + " ";
    return switch (random.nextInt(4)) {
      // more characters than the 16,000 limit
      case 0 -> object(unique + "x".repeat(16_001 + random.nextInt(20_000)), words(4));
      case 1 -> object(unique + words(4_000 + random.nextInt(2_000)), words(4));
      // within the characters but more than the 4,096-token limit
      case 2 -> object(unique + "a ".repeat(4_200 + random.nextInt(3_000)), words(4));
      default -> object(words(4), unique + "!?".repeat(2_200 + random.nextInt(1_000)));
    };
  }

  /** A demonstration of exactly {@code bytes} bytes, nearly all prompt. */
  private byte[] filled(int id, int bytes) {
    String head = "{\"prompt\": \"Q" + id + " ";
    String tail = "\", \"response\": " + q(words(4)) + "}";
    return utf8(head + "y".repeat(bytes - utf8(head).length - utf8(tail).length) + tail);
  }

  private static String object(String prompt, String response) {
    return JSON.createObjectNode().put("prompt", prompt).put("response", response).toString();
  }

  private String words(int n) {
    var sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(WORDS[random.nextInt(WORDS.length)]);
    }
    return sb.toString();
  }

  /** {@code s} as a JSON string literal. */
  private static String q(String s) {
    return JSON.getNodeFactory().textNode(s).toString();
  }

  @SafeVarargs
  private <T> T pick(T... options) {
    return options[random.nextInt(options.length)];
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("marker not found");
  }
}
