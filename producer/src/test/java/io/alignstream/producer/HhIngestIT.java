package io.alignstream.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/** Real assistant data: the 10,000 HH training demonstrations through {@code alignstream produce}. */
@ExtendWith(KafkaFixture.class)
class HhIngestIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void tenThousandHhDemonstrationsNoneLostNoneWronglyRejected(KafkaConnection kafka, Topics topics) throws Exception {
    // Given the HH train file, whose 10,000 rows hold fewer distinct (prompt, response) pairs
    Path train = Await.hhData().resolve("train.jsonl");
    List<String> rows = Files.readAllLines(train, StandardCharsets.UTF_8);
    Set<String> expectedIds = new HashSet<>();
    for (String row : rows) {
      JsonNode n = JSON.readTree(row);
      expectedIds.add(ContentId.ofDemonstration(n.get("prompt").asText(), n.get("label").asText()));
    }

    // When it is produced with the command, in the HH format
    var command = new ProduceCommand();
    int exit = new CommandLine(command).execute("--bootstrap", kafka.bootstrapServers(), "--run", topics.runId(),
        "--format", "hh", "--wait", "90s", "--ingest", train.toString());

    // Then every row has a verdict: each distinct pair accepted once, every repeat a duplicate
    ProduceCommand.Summary s = command.lastSummary;
    assertEquals(0, exit, String.valueOf(s));
    assertEquals(rows.size(), s.sent());
    assertEquals(0, s.unreadable());
    assertEquals(s.sent(), s.verdict().total(), "accepted + duplicates + rejected = sent");
    List<ConsumerRecord<byte[], byte[]>> dead = io.alignstream.testkit.TopicReader.readCommitted(kafka, topics.deadLetters);
    assertEquals(s.verdict().rejected(), dead.size());
    for (var r : dead) {
      // HH holds no such rows today; if one appears, it must be for a rule the row really breaks.
      String reason = IngestTopology.header(r.headers(), DeadLetters.REASON).orElseThrow();
      JsonNode n = JSON.readTree(r.value());
      String response = n.path("response").asText();
      assertTrue(switch (reason) {
        case "empty-field" -> response.isBlank() || n.path("prompt").asText().isBlank();
        case "malformed" -> response.codePoints().noneMatch(Character::isLetterOrDigit);
        default -> false;
      }, "HH row wrongly rejected (" + reason + "): " + new String(r.value(), StandardCharsets.UTF_8));
    }
    assertEquals(expectedIds.size() - dead.size(), s.verdict().accepted());
    assertEquals(rows.size() - expectedIds.size(), s.verdict().duplicates());

    // And the demonstrations topic holds exactly the distinct pairs, with their file and line as source
    List<ConsumerRecord<String, Demonstration>> demos =
        Await.records(kafka, topics.demonstrations, (int) s.verdict().accepted(), Duration.ofSeconds(30));
    assertEquals(s.verdict().accepted(), demos.size());
    Set<String> ids = new HashSet<>();
    demos.forEach(r -> ids.add(r.key()));
    assertEquals(expectedIds, ids);
    assertTrue(demos.get(0).value().getSource().startsWith(train + ":"), demos.get(0).value().getSource());
    int distinctPrompts = (int) demos.stream().map(r -> r.value().getPromptId()).distinct().count();
    assertEquals(distinctPrompts, Await.records(kafka, topics.prompts, distinctPrompts, Duration.ofSeconds(30)).size(),
        "one prompt per distinct prompt text");
  }
}
