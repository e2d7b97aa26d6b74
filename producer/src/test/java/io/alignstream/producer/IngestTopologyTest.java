package io.alignstream.producer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The ingest topology on the test driver: no broker, every rule, byte-exact dead letters. */
class IngestTopologyTest {
  private static final Topics TOPICS = Topics.forRun("ingest-test");
  /** Small limits, so the size rules are cheap to hit. */
  private static final IngestConfig CONFIG = IngestConfig.defaults().withLimits(200, 300, 40, 60);

  @TempDir
  Path stateDir;
  private TopologyTestDriver driver;
  private IngestCounts counts;
  private TestInputTopic<byte[], byte[]> raw;
  private TestOutputTopic<String, Demonstration> demonstrations;
  private TestOutputTopic<String, Prompt> prompts;
  private TestOutputTopic<byte[], byte[]> deadLetters;
  private TestOutputTopic<String, Metric> metrics;

  @BeforeEach
  void start() {
    var props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
    counts = new IngestCounts();
    driver = new TopologyTestDriver(IngestTopology.build(TOPICS, CONFIG, counts), props);
    raw = driver.createInputTopic(TOPICS.demosRaw.name(), TOPICS.demosRaw.keySerde().serializer(),
        TOPICS.demosRaw.valueSerde().serializer());
    demonstrations = driver.createOutputTopic(TOPICS.demonstrations.name(),
        TOPICS.demonstrations.keySerde().deserializer(), TOPICS.demonstrations.valueSerde().deserializer());
    prompts = driver.createOutputTopic(TOPICS.prompts.name(), TOPICS.prompts.keySerde().deserializer(),
        TOPICS.prompts.valueSerde().deserializer());
    deadLetters = driver.createOutputTopic(TOPICS.deadLetters.name(), TOPICS.deadLetters.keySerde().deserializer(),
        TOPICS.deadLetters.valueSerde().deserializer());
    metrics = driver.createOutputTopic(TOPICS.metrics.name(), TOPICS.metrics.keySerde().deserializer(),
        TOPICS.metrics.valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String header(Headers headers, String name) {
    return IngestTopology.header(headers, name).orElse(null);
  }

  @Test
  void aValidRecordBecomesADemonstrationAndAPrompt() {
    // Given a raw JSON demonstration from some client, with its own header
    var headers = new RecordHeaders().add("client", utf8("kcat"));
    raw.pipeInput(new TestRecord<>(utf8("k1"), utf8("{\"prompt\": \"what is 7 plus 5 ? \", \"response\": \"12 .\", \"extra\": 1}"),
        headers));

    // Then one demonstration keyed by its content id, text kept exactly (trailing space included)
    var d = demonstrations.readRecord();
    String id = ContentId.ofDemonstration("what is 7 plus 5 ? ", "12 .");
    assertEquals(id, d.key());
    assertEquals(id, d.value().getId());
    assertEquals(ContentId.ofPrompt("what is 7 plus 5 ? "), d.value().getPromptId());
    assertEquals("what is 7 plus 5 ? ", d.value().getPrompt());
    assertEquals("12 .", d.value().getResponse());
    assertEquals("topic:" + TOPICS.demosRaw.name() + "/0@0", d.value().getSource(), "no source field: the raw coordinates");
    assertNull(header(d.headers(), "client"), "a client's headers do not leak into the demonstrations");
    // And one prompt for the samplers, pointing back at it
    var p = prompts.readRecord();
    assertEquals(d.value().getPromptId(), p.key());
    assertEquals("what is 7 plus 5 ? ", p.value().getText());
    assertEquals(id, p.value().getDemonstrationId());
    assertEquals(0, p.value().getRound());
    assertTrue(deadLetters.isEmpty());
    assertEquals(new IngestCounts.Snapshot(1, 0, 0), counts.snapshot());
  }

  @Test
  void theSourceFieldIsKeptWhenGiven() {
    raw.pipeInput(utf8("{\"prompt\":\"p?\",\"response\":\"r.\",\"source\":\"demos.jsonl:3\"}"));
    assertEquals("demos.jsonl:3", demonstrations.readValue().getSource());
  }

  static List<Object[]> invalid() {
    String longPrompt = "a".repeat(201);
    String manyTokens = "a ".repeat(41);
    return List.of(
        new Object[] {"bad-utf8", new byte[] {'{', '"', 'p', (byte) 0xC3, (byte) 0x28, '"', '}'}},
        new Object[] {"bad-utf8", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}}, // an encoded surrogate
        new Object[] {"not-json", utf8("prompt: hello, response: hi")},
        new Object[] {"not-json", utf8("{\"prompt\":\"p\",\"response\":\"r\"} trailing")},
        new Object[] {"not-json", utf8("{\"prompt\":\"p\",\"prompt\":\"q\",\"response\":\"r\"}")},
        new Object[] {"not-json", utf8("")},
        new Object[] {"not-object", utf8("[\"p\", \"r\"]")},
        new Object[] {"not-object", utf8("\"just a string\"")},
        new Object[] {"missing-field", utf8("{\"prompt\":\"p\"}")},
        new Object[] {"missing-field", utf8("{\"prompt\":\"p\",\"response\":null}")},
        new Object[] {"missing-field", utf8("{\"prompt\":\"Hi\",\"label\":\"Hello\"}")}, // HH's own field name: produce renames it
        new Object[] {"wrong-type", utf8("{\"prompt\":\"p\",\"response\":42}")},
        new Object[] {"wrong-type", utf8("{\"prompt\":[\"p\"],\"response\":\"r\"}")},
        new Object[] {"wrong-type", utf8("{\"prompt\":\"p\",\"response\":\"r\",\"source\":7}")},
        new Object[] {"empty-field", utf8("{\"prompt\":\"  \\n \",\"response\":\"r\"}")},
        new Object[] {"empty-field", utf8("{\"prompt\":\"p\",\"response\":\"\"}")},
        new Object[] {"control-char", utf8("{\"prompt\":\"p\\u0000\",\"response\":\"r\"}")},
        new Object[] {"control-char", utf8("{\"prompt\":\"p\",\"response\":\"r\\r\\n\"}")},
        new Object[] {"control-char", utf8("{\"prompt\":\"p\",\"response\":\"bell\\u0007\"}")},
        new Object[] {"too-long", utf8("{\"prompt\":\"" + longPrompt + "\",\"response\":\"r\"}")},
        new Object[] {"too-many-tokens", utf8("{\"prompt\":\"" + manyTokens + "\",\"response\":\"r\"}")},
        new Object[] {"malformed", utf8("{\"prompt\":\"p\",\"response\":\"...\"}")},
        new Object[] {"malformed", utf8("{\"prompt\":\"p\",\"response\":\"\\ud800 lone\"}")},
        new Object[] {"malformed", utf8("{\"prompt\":\"Hi\",\"response\":\"Hello\\n\\nHuman: more\\n\\nAssistant: ok\"}")});
  }

  @ParameterizedTest(name = "{0}: {index}")
  @MethodSource("invalid")
  void anInvalidRecordGoesToTheDeadLetterTopicByteForByte(String code, byte[] value) {
    // Given a raw record with a key and a client header, after a valid one (so its offset is 1)
    raw.pipeInput(utf8("{\"prompt\":\"ok?\",\"response\":\"ok.\"}"));
    byte[] key = {0, 1, 2, (byte) 0xFF};
    raw.pipeInput(new TestRecord<>(key, value, new RecordHeaders().add("client", utf8("x"))));

    // Then the same bytes arrive on the dead-letter topic, with the reason and where it came from
    var dead = deadLetters.readRecord();
    assertArrayEquals(key, dead.key());
    assertArrayEquals(value, dead.value());
    assertEquals(code, header(dead.headers(), DeadLetters.REASON), header(dead.headers(), DeadLetters.MESSAGE));
    assertTrue(header(dead.headers(), DeadLetters.MESSAGE).length() > 10);
    assertEquals(TOPICS.demosRaw.name(), header(dead.headers(), DeadLetters.SOURCE_TOPIC));
    assertEquals("0", header(dead.headers(), DeadLetters.SOURCE_PARTITION));
    assertEquals("1", header(dead.headers(), DeadLetters.SOURCE_OFFSET));
    assertEquals("x", header(dead.headers(), "client"), "the original headers stay");
    // And nothing else: the valid record alone made a demonstration
    assertEquals(1, demonstrations.readRecordsToList().size());
    assertTrue(deadLetters.isEmpty());
    assertEquals(new IngestCounts.Snapshot(1, 0, 1), counts.snapshot());
  }

  @Test
  void aTombstoneIsADeadLetterToo() {
    raw.pipeInput(utf8("k"), (byte[]) null);
    var dead = deadLetters.readRecord();
    assertArrayEquals(utf8("k"), dead.key());
    assertNull(dead.value());
    assertEquals("empty-record", header(dead.headers(), DeadLetters.REASON));
  }

  @Test
  void oversizedRecordsAreRejectedNotTruncated() {
    // Given a 1 MB response (what a runaway client might send)
    byte[] huge = utf8("{\"prompt\":\"p\",\"response\":\"" + "word ".repeat(200_000) + "\"}");
    raw.pipeInput(huge);
    var dead = deadLetters.readRecord();
    assertArrayEquals(huge, dead.value());
    assertEquals("too-long", header(dead.headers(), DeadLetters.REASON));
    assertTrue(demonstrations.isEmpty());
  }

  @Test
  void theSameDemonstrationTwiceIsKeptOnce() {
    // Given the same content sent twice (different keys, so from different clients or files), and another
    String json = "{\"prompt\":\"name two fruits .\",\"response\":\"apple , pear .\"}";
    raw.pipeInput(utf8("a"), utf8(json));
    raw.pipeInput(utf8("b"), utf8(json.replace("}", ",\"source\":\"other.jsonl:9\"}")));
    raw.pipeInput(utf8("{\"prompt\":\"name two fruits .\",\"response\":\"plum , pear .\"}"));

    // Then only the first occurrence and the different response come out, and their prompt once
    List<Demonstration> out = demonstrations.readValuesToList();
    assertEquals(List.of("apple , pear .", "plum , pear ."), out.stream().map(Demonstration::getResponse).toList());
    assertEquals(1, prompts.readRecordsToList().size());
    assertEquals(new IngestCounts.Snapshot(2, 1, 0), counts.snapshot());
  }

  @Test
  void aSecondDemonstrationOfAPromptIsTrainingDataNotAnotherPrompt() {
    // Given two different desired responses to one prompt
    raw.pipeInput(utf8("{\"prompt\":\"name two fruits .\",\"response\":\"apple , pear .\"}"));
    raw.pipeInput(utf8("{\"prompt\":\"name two fruits .\",\"response\":\"plum , fig .\"}"));
    // Then both are demonstrations, but the samplers get the prompt once
    assertEquals(2, demonstrations.readValuesToList().size());
    var out = prompts.readValuesToList();
    assertEquals(1, out.size());
    assertEquals("name two fruits .", out.get(0).getText());
  }

  @Test
  void aPracticePromptBecomesAPromptWithoutADemonstration() {
    // Given a prompt sent without a response, marked as such, twice; then a demonstration of the same prompt
    raw.pipeInput(utf8("{\"prompt\":\"name three colors .\",\"kind\":\"prompt\"}"));
    raw.pipeInput(utf8("{\"prompt\":\"name three colors .\",\"kind\":\"prompt\",\"response\":null}"));
    raw.pipeInput(utf8("{\"prompt\":\"name three colors .\",\"response\":\"red , blue , green .\"}"));

    // Then the samplers get the prompt once, with no demonstration behind it
    var out = prompts.readValuesToList();
    assertEquals(1, out.size());
    assertEquals("name three colors .", out.get(0).getText());
    assertEquals(ContentId.ofPrompt("name three colors ."), out.get(0).getPromptId());
    assertNull(out.get(0).getDemonstrationId());
    // And the demonstration is still training data
    assertEquals(List.of("red , blue , green ."),
        demonstrations.readValuesToList().stream().map(Demonstration::getResponse).toList());
    assertTrue(deadLetters.isEmpty());
  }

  @Test
  void aPracticePromptWithAResponseOrAnUnknownKindIsADeadLetter() {
    raw.pipeInput(utf8("{\"prompt\":\"p\",\"kind\":\"prompt\",\"response\":\"r\"}"));
    raw.pipeInput(utf8("{\"prompt\":\"p\",\"kind\":\"question\",\"response\":\"r\"}"));
    raw.pipeInput(utf8("{\"prompt\":\"p\",\"kind\":1,\"response\":\"r\"}"));
    var dead = deadLetters.readRecordsToList();
    assertEquals(List.of("malformed", "malformed", "wrong-type"),
        dead.stream().map(r -> header(r.headers(), DeadLetters.REASON)).toList());
    assertTrue(header(dead.get(0).headers(), DeadLetters.MESSAGE).contains("has no response"));
    assertTrue(prompts.isEmpty());
    assertTrue(demonstrations.isEmpty());
  }

  @Test
  void batchesAreCountedOnTheMetricsTopic() {
    // Given a batch of four records from one sender: new, duplicate, invalid, new; and one without a batch
    var batch = new RecordHeaders().add(IngestTopology.BATCH, utf8("b-1"));
    for (String v : List.of("{\"prompt\":\"a?\",\"response\":\"a.\"}", "{\"prompt\":\"a?\",\"response\":\"a.\"}",
        "not json", "{\"prompt\":\"b?\",\"response\":\"b.\"}")) {
      raw.pipeInput(new TestRecord<>(null, utf8(v), batch));
    }
    raw.pipeInput(utf8("{\"prompt\":\"c?\",\"response\":\"c.\"}"));
    driver.advanceWallClockTime(Duration.ofSeconds(1));

    // Then the latest count of the batch says 2 accepted, 1 duplicate, 1 rejected
    List<Metric> updates = metrics.readValuesToList();
    Metric last = updates.get(updates.size() - 1);
    assertEquals(IngestTopology.BATCH_METRIC, last.getName());
    assertEquals("b-1", last.getTags().get("batch"));
    assertEquals("2", last.getTags().get("accepted"));
    assertEquals("1", last.getTags().get("duplicate"));
    assertEquals("1", last.getTags().get("rejected"));
    assertEquals(4.0, last.getValue());
    assertTrue(updates.stream().allMatch(m -> m.getTags().get("batch").equals("b-1")), "unbatched records are not counted");
  }

  @Test
  void everyRecordIsAccountedFor() {
    // Given a mix of valid, duplicate and invalid records
    int sent = 0;
    for (int i = 0; i < 50; i++) {
      raw.pipeInput(utf8("{\"prompt\":\"q" + (i % 20) + "\",\"response\":\"a" + (i % 20) + "\"}"));
      raw.pipeInput(utf8("{\"prompt\":\"q" + i + "\"}"));
      sent += 2;
    }
    // Then accepted + duplicates + rejected = sent, and the outputs match the counts
    IngestCounts.Snapshot s = counts.snapshot();
    assertEquals(sent, s.total());
    assertEquals(20, s.accepted());
    assertEquals(30, s.duplicates());
    assertEquals(50, s.rejected());
    assertEquals(20, demonstrations.readRecordsToList().size());
    assertEquals(50, deadLetters.readRecordsToList().size());
  }

  @Test
  void configRejectsNonsense() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> IngestConfig.defaults().withLimits(10, 10, 20, 5));
    assertTrue(e.getMessage().contains("token limits"), e.getMessage());
    assertEquals(Duration.ofMillis(100), IngestConfig.defaults().commitInterval());
  }
}
