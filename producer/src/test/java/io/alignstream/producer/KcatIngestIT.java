package io.alignstream.producer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import io.alignstream.testkit.KafkaFixture;

/** Any client: librdkafka's kcat writes raw JSON into the running broker; the topology does the rest. */
@ExtendWith(KafkaFixture.class)
class KcatIngestIT {
  @TempDir
  java.nio.file.Path stateDir;

  @Test
  void rawJsonFromKcatComesOutAsAvroAndDeadLetters(KafkaConnection kafka, Topics topics) throws Exception {
    assumeTrue(Await.onPath("kcat"), "kcat is not on PATH (Debian: apt-get install kcat); CI installs it");
    assumeTrue(kafka.clientProperties().isEmpty(), "kcat is only run against a plaintext broker without client settings");

    try (IngestService ingest = IngestService.start(kafka, topics, IngestConfig.defaults().withStateDir(stateDir))
        .awaitRunning(Duration.ofSeconds(60))) {
      // Given kcat producing six raw records, one per line, with a header: two valid, a repeat, and three bad
      var lines = new ByteArrayOutputStream();
      lines.writeBytes(utf8("{\"prompt\": \"What is the capital of France?\", \"response\": \"Paris.\"}\n"));
      lines.writeBytes(utf8("{\"prompt\": \"Name a prime.\", \"response\": \"7\", \"source\": \"kcat\"}\n"));
      lines.writeBytes(utf8("{\"prompt\": \"What is the capital of France?\", \"response\": \"Paris.\"}\n"));
      lines.writeBytes(utf8("this is not json\n"));
      lines.writeBytes(utf8("{\"prompt\": \"no response\"}\n"));
      lines.write(new byte[] {'{', '"', (byte) 0xFF, '"', '}', '\n'});
      Process kcat = new ProcessBuilder("kcat", "-P", "-b", kafka.bootstrapServers(), "-t", topics.demosRaw.name(),
          "-H", "client=kcat", "-p", "0")
          .redirectErrorStream(true).start();
      kcat.getOutputStream().write(lines.toByteArray());
      kcat.getOutputStream().close();
      assertTrue(kcat.waitFor(30, TimeUnit.SECONDS), "kcat did not finish");
      assertEquals(0, kcat.exitValue(), new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8));

      // Then two Avro demonstrations and two prompts come out
      List<ConsumerRecord<String, Demonstration>> demos = Await.records(kafka, topics.demonstrations, 2, Duration.ofSeconds(60));
      assertEquals(2, demos.size());
      Map<String, Demonstration> byId = new TreeMap<>();
      demos.forEach(r -> byId.put(r.key(), r.value()));
      Demonstration france = byId.get(ContentId.ofDemonstration("What is the capital of France?", "Paris."));
      assertEquals("Paris.", france.getResponse());
      assertEquals("topic:" + topics.demosRaw.name() + "/0@0", france.getSource());
      assertEquals("kcat", byId.get(ContentId.ofDemonstration("Name a prime.", "7")).getSource());
      List<ConsumerRecord<String, Prompt>> prompts = Await.records(kafka, topics.prompts, 2, Duration.ofSeconds(30));
      assertEquals(ContentId.ofPrompt("What is the capital of France?"),
          prompts.stream().filter(p -> p.value().getText().contains("France")).findFirst().orElseThrow().key());

      // And the three bad records are dead letters, byte for byte, with reason and source offset
      List<ConsumerRecord<byte[], byte[]>> dead = Await.records(kafka, topics.deadLetters, 3, Duration.ofSeconds(30));
      assertEquals(List.of("not-json", "missing-field", "bad-utf8"),
          dead.stream().map(r -> header(r, DeadLetters.REASON)).toList());
      assertEquals(List.of("3", "4", "5"), dead.stream().map(r -> header(r, DeadLetters.SOURCE_OFFSET)).toList());
      assertArrayEquals(utf8("this is not json"), dead.get(0).value());
      assertArrayEquals(new byte[] {'{', '"', (byte) 0xFF, '"', '}'}, dead.get(2).value());
      dead.forEach(r -> {
        assertEquals(topics.demosRaw.name(), header(r, DeadLetters.SOURCE_TOPIC));
        assertEquals("kcat", header(r, "client"), "kcat's own header is kept");
      });
      assertEquals(new IngestCounts.Snapshot(2, 1, 3), ingest.counts());
    }
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    return IngestTopology.header(r.headers(), name).orElse(null);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
