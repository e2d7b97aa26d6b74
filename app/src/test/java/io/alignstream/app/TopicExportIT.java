package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaFixture.class)
class TopicExportIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void avroRecordsBecomeJsonObjectsAndRawBytesStayReadable() throws Exception {
    KafkaConnection kafka = KafkaFixture.connection();
    Topics topics = KafkaFixture.freshTopics("export");
    try (var producer = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 3; i++) {
        Demonstration d = Demonstration.newBuilder().setId("d" + i).setPromptId("p" + i).setPrompt("what is " + i + " ?")
            .setResponse(i + " .").setSource("test").setCreatedAtMs(i).build();
        producer.send(topics.demonstrations.record(d.getId(), d));
      }
      var bad = new ProducerRecord<>(topics.deadLetters.name(), (byte[]) null, new byte[] {(byte) 0xff, 0x41});
      bad.headers().add("alignstream.dlq.reason", "not-utf8".getBytes(StandardCharsets.UTF_8));
      producer.send(bad);
      producer.send(new ProducerRecord<>(topics.deadLetters.name(), "{\"prompt\": 1}".getBytes(StandardCharsets.UTF_8)));
    }

    StringWriter demos = new StringWriter();
    assertEquals(new TopicExport.Counts(3, 0), TopicExport.export(kafka, topics.demonstrations, demos));
    List<JsonNode> lines = parse(demos.toString());
    assertEquals(3, lines.size());
    assertTrue(lines.stream().anyMatch(l -> l.path("value").path("prompt").asText().equals("what is 1 ?")
        && l.path("key").asText().equals("d1")), demos.toString());

    StringWriter dead = new StringWriter();
    assertEquals(2, TopicExport.export(kafka, topics.deadLetters, dead).records());
    List<JsonNode> deadLines = parse(dead.toString());
    JsonNode binary = deadLines.stream().filter(l -> l.has("value_base64")).findFirst().orElseThrow();
    assertEquals("/0E=", binary.get("value_base64").asText(), "bytes that are not UTF-8 travel as base64");
    assertEquals("not-utf8", binary.path("headers").path("alignstream.dlq.reason").asText());
    assertTrue(deadLines.stream().anyMatch(l -> l.path("value").asText().equals("{\"prompt\": 1}")));
    // What the demo's report says of them: counted by reason (one came without a reason)
    assertEquals(java.util.Map.of("not-utf8", 1L, "(no reason)", 1L), TopicExport.deadLettersByReason(kafka, topics));
    assertEquals(java.util.Map.of(), TopicExport.deadLettersByReason(kafka, KafkaFixture.freshTopics("export-none")));
  }

  private static List<JsonNode> parse(String text) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }
}
