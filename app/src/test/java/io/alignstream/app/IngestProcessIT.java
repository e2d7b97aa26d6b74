package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.ServiceProcess;
import io.alignstream.testkit.TopicReader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alignstream ingest} as a service of its own, fed by clients that are not alignstream: with the
 * ingest service running as a process, records written by librdkafka's kcat and by Python's
 * confluent-kafka become demonstrations and prompts, repeats are dropped, and the bad records become
 * dead letters with their reasons, which the Python client reads back.
 */
@ExtendWith(KafkaFixture.class)
class IngestProcessIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Writes four raw records to partition 1 of the raw topic, then reads N dead letters back as JSON lines. */
  private static final String PYTHON_CLIENT = """
      import json, sys, time
      from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

      command, bootstrap, topic = sys.argv[1:4]
      if command == "produce":
          p = Producer({"bootstrap.servers": bootstrap})
          for value in [
              json.dumps({"prompt": "Name a planet.", "response": "Mars.", "source": "python"}).encode(),
              json.dumps({"prompt": "What is the capital of France?", "response": "Paris."}).encode(),
              json.dumps({"prompt": 42, "response": "not a prompt"}).encode(),
              json.dumps({"prompt": "   ", "response": "an empty prompt"}).encode(),
          ]:
              p.produce(topic, value=value, partition=1, headers=[("client", b"python")])
          if p.flush(30) != 0:
              sys.exit("not every record was delivered")
      else:
          want = int(sys.argv[4])
          c = Consumer({"bootstrap.servers": bootstrap, "group.id": "python-reader", "enable.auto.commit": False,
                        "isolation.level": "read_committed"})
          c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
          seen, deadline = 0, time.time() + 60
          while seen < want and time.time() < deadline:
              m = c.poll(1.0)
              if m is None or m.error():
                  continue
              headers = {k: v.decode("utf-8") for k, v in (m.headers() or [])}
              print(json.dumps({"value": m.value().decode("utf-8", "replace"),
                                "reason": headers.get("alignstream.dlq.reason"), "client": headers.get("client")}))
              seen += 1
          c.close()
      """;

  @TempDir
  Path dir;

  @Test
  void recordsFromKcatAndPythonBecomeDemonstrationsPromptsAndDeadLetters() throws Exception {
    assumeTrue(onPath("kcat"), "kcat is not on PATH (Debian: apt-get install kcat); .ci/run installs it");
    String python = python();
    assumeTrue(python != null, "no python3 with confluent_kafka (Debian: apt-get install python3-confluent-kafka); "
        + ".ci/run installs it");
    KafkaConnection kafka = KafkaFixture.connection();
    assumeTrue(kafka.clientProperties().isEmpty(), "kcat and the Python client run against a plaintext broker only");
    Topics topics = KafkaFixture.freshTopics("ingest-process");
    Path client = Files.writeString(dir.resolve("raw_client.py"), PYTHON_CLIENT);

    // Given the ingest service running as its own process
    List<String> jvm = new ArrayList<>(ServiceProcess.SERVICE_JVM_OPTIONS);
    jvm.add("-Xmx512m");
    try (ServiceProcess ingest = ServiceProcess.start(new ServiceProcess.Spec("ingest", Main.class.getName(), jvm,
        List.of("ingest", "--bootstrap", kafka.bootstrapServers(), "--run", topics.runId()), dir,
        dir.resolve("ingest.log")))) {
      // When kcat writes two demonstrations and a line that is not JSON
      run(List.of("kcat", "-P", "-b", kafka.bootstrapServers(), "-t", topics.demosRaw.name(), "-H", "client=kcat",
          "-p", "0"), """
          {"prompt": "What is the capital of France?", "response": "Paris."}
          {"prompt": "Name a prime.", "response": "7", "source": "kcat"}
          this is not json
          """);
      awaitRecords(kafka, topics.demonstrations, 2, ingest);
      // and then Python writes a demonstration, a repeat of kcat's first, and two records that are not demonstrations
      run(List.of(python, client.toString(), "produce", kafka.bootstrapServers(), topics.demosRaw.name()), "");

      // Then three demonstrations and their three prompts come out, each from its client
      Map<String, Demonstration> demos = new TreeMap<>();
      awaitRecords(kafka, topics.demonstrations, 3, ingest).forEach(r -> demos.put(r.key(), r.value()));
      assertEquals(3, demos.size(), demos.toString());
      assertEquals("topic:" + topics.demosRaw.name() + "/0@0",
          demos.get(ContentId.ofDemonstration("What is the capital of France?", "Paris.")).getSource());
      assertEquals("kcat", demos.get(ContentId.ofDemonstration("Name a prime.", "7")).getSource());
      assertEquals("python", demos.get(ContentId.ofDemonstration("Name a planet.", "Mars.")).getSource());
      List<ConsumerRecord<String, Prompt>> prompts = awaitRecords(kafka, topics.prompts, 3, ingest);
      assertEquals(List.of("Name a planet.", "Name a prime.", "What is the capital of France?"),
          prompts.stream().map(r -> r.value().getText()).sorted().toList());

      // And the three bad records are dead letters, unchanged, with their reasons and their client's header,
      // as the Python client reads them
      List<ConsumerRecord<byte[], byte[]>> dead = awaitRecords(kafka, topics.deadLetters, 3, ingest);
      assertEquals(3, dead.size());
      Map<String, String> reasons = new TreeMap<>();
      for (String line : run(List.of(python, client.toString(), "dead-letters", kafka.bootstrapServers(),
          topics.deadLetters.name(), "3"), "").strip().split("\n")) {
        JsonNode d = JSON.readTree(line);
        reasons.put(d.path("client").asText() + ": " + d.path("value").asText(), d.path("reason").asText());
      }
      assertEquals(Map.of(
          "kcat: this is not json", "not-json",
          "python: {\"prompt\": 42, \"response\": \"not a prompt\"}", "wrong-type",
          "python: {\"prompt\": \"   \", \"response\": \"an empty prompt\"}", "empty-field"), reasons);
      dead.forEach(r -> assertEquals(topics.demosRaw.name(), header(r, DeadLetters.SOURCE_TOPIC)));

      // And a SIGTERM stops the service cleanly, saying what it decided
      assertTrue(ingest.stop(Duration.ofSeconds(60)), "ingest stopped on SIGTERM:\n" + ingest.logTail(3000));
      assertTrue(ingest.logTail(3000).contains("stopped: 3 accepted, 1 duplicates, 3 rejected"), ingest.logTail(3000));
    }
  }

  private static <K, V> List<ConsumerRecord<K, V>> awaitRecords(KafkaConnection kafka, Topic<K, V> topic, int n,
      ServiceProcess ingest) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      List<ConsumerRecord<K, V>> records = TopicReader.readCommitted(kafka, topic);
      if (records.size() >= n) {
        return records;
      }
      assertTrue(ingest.alive(), "the ingest service died:\n" + ingest.logTail(4000));
      assertTrue(System.nanoTime() < deadline, "only " + records.size() + " of " + n + " records on " + topic.name()
          + " after " + WAIT.toSeconds() + " s:\n" + ingest.logTail(4000));
      Thread.sleep(200);
    }
  }

  /** Runs a client to its end with {@code input} on its stdin; returns its stdout, failing on a non-zero exit. */
  private String run(List<String> command, String input) throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "client-", ".out");
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectErrorStream(false)
        .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("clients.err").toFile())).start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), command.get(0) + " did not finish");
    String stderr = Files.exists(dir.resolve("clients.err")) ? Files.readString(dir.resolve("clients.err")) : "";
    assertEquals(0, p.exitValue(), command + " failed: " + stderr);
    return Files.readString(out);
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Debian's python3 (where apt installs confluent-kafka) if it has the client, else the first on PATH that does. */
  private static String python() throws InterruptedException {
    for (String candidate : List.of("/usr/bin/python3", "python3")) {
      try {
        Process p = new ProcessBuilder(candidate, "-c", "import confluent_kafka").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException e) {
        // not this one
      }
    }
    return null;
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }
}
