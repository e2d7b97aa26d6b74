package io.alignstream.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineNormalizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode normalize(LineNormalizer n, String line) throws Exception {
    byte[] out = n.normalize(line, "f.jsonl:1").orElseThrow(() -> new AssertionError("not read: " + line));
    return JSON.readTree(new String(out, StandardCharsets.UTF_8));
  }

  @Test
  void promptResponseWithItsOwnFieldNames() throws Exception {
    var n = new LineNormalizer(InputFormat.PROMPT_RESPONSE, "question", "answer", "chosen");
    JsonNode out = normalize(n, "{\"question\": \"2+2?\", \"answer\": \"4\", \"id\": 9}");
    assertEquals("2+2?", out.get("prompt").asText());
    assertEquals("4", out.get("response").asText());
    assertEquals("f.jsonl:1", out.get("source").asText());
    assertTrue(n.normalize("{\"prompt\": \"2+2?\", \"response\": \"4\"}", "s").isEmpty(), "other names are not this format");
  }

  @Test
  void hhKeepsThePromptExactly() throws Exception {
    JsonNode out = normalize(LineNormalizer.auto(), "{\"prompt\": \"Hi? Assistant: \", \"label\": \"Hello.\"}");
    assertEquals("Hi? Assistant: ", out.get("prompt").asText());
    assertEquals("Hello.", out.get("response").asText());
  }

  @Test
  void conversationsSplitAtTheLastAssistantTurn() throws Exception {
    String chosen = "\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: 2+2?\\n\\nAssistant: 4, of course.";
    JsonNode out = normalize(LineNormalizer.auto(), "{\"chosen\": \"" + chosen + "\", \"rejected\": \"...\"}");
    assertEquals("Human: Hi\n\nAssistant: Hello!\n\nHuman: 2+2?\n\nAssistant:", out.get("prompt").asText());
    assertEquals("4, of course.", out.get("response").asText());
    var text = new LineNormalizer(InputFormat.CONVERSATION, "prompt", "response", "text");
    assertEquals("Q", normalize(text, "{\"text\": \"\\n\\nHuman: Q\\n\\nAssistant: A\"}").get("prompt").asText()
        .replace("Human: ", "").replace("\n\nAssistant:", ""));
  }

  @Test
  void unreadableLinesGiveNothing() {
    var auto = LineNormalizer.auto();
    for (String line : new String[] {"not json", "[1,2]", "{\"prompt\": 1, \"response\": \"x\"}", "{\"text\": \"hi\"}",
        "{\"chosen\": \"no turns here\"}", "{\"prompt\": \"only a prompt\"}"}) {
      assertTrue(auto.normalize(line, "s").isEmpty(), line);
    }
    assertTrue(new LineNormalizer(InputFormat.HH, "prompt", "response", "chosen")
        .normalize("{\"prompt\": \"p\", \"response\": \"r\"}", "s").isEmpty(), "hh needs label");
  }
}
