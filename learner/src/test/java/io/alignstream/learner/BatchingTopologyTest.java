package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchingTopologyTest {
  private final Topics topics = Topics.forRun("batching-test");
  private TopologyTestDriver driver;
  private TestInputTopic<String, ScoredSample> scored;
  private TestOutputTopic<String, TrainingBatch> batches;

  @TempDir
  Path stateDir;

  @BeforeEach
  void setUp() throws Exception {
    Properties props = BatchingTopology.streamsProperties(topics);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "batching-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(stateDir.resolve("state")).toString());
    driver = new TopologyTestDriver(BatchingTopology.build(topics, new BatchingConfig(3, Duration.ofSeconds(10))), props);
    scored = driver.createInputTopic(topics.scored.name(), topics.scored.keySerde().serializer(),
        topics.scored.valueSerde().serializer());
    batches = driver.createOutputTopic(topics.batches.name(), topics.batches.keySerde().deserializer(),
        topics.batches.valueSerde().deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private static ScoredSample sample(String promptId, SampleKind kind, int round, String policy, int index) {
    String id = kind == SampleKind.DEMONSTRATION ? "demo-" + promptId : promptId + "/" + round + "/" + policy + "/" + index;
    return ScoredSample.newBuilder().setId(id).setKind(kind).setPromptId(promptId).setRound(round)
        .setPrompt("x").setResponse("y").setPromptTokenIds(List.of(1)).setResponseTokenIds(List.of(2, 0))
        .setLogProbs(kind == SampleKind.DEMONSTRATION ? List.of() : List.of(-1f, -2f))
        .setPolicyName(kind == SampleKind.DEMONSTRATION ? "demonstration" : policy)
        .setPolicyVersion(kind == SampleKind.DEMONSTRATION ? -1 : round).setRewards(List.of(0.5f))
        .setRewardMean(0.5f).setRewardStd(0f).setRewardModelVersion(1).setCreatedAtMs(1).setScoredAtMs(2).build();
  }

  private void pipe(ScoredSample s) {
    scored.pipeInput(s.getPromptId(), s);
  }

  @Test
  void theKthGenerationCompletesABatchWithTheDemonstrationFirst() {
    pipe(sample("p1", SampleKind.DEMONSTRATION, 0, "", 0));
    pipe(sample("p1", SampleKind.GENERATION, 0, "policy", 0));
    pipe(sample("p1", SampleKind.GENERATION, 0, "policy", 1));
    assertTrue(batches.isEmpty(), "two of three generations: nothing yet");
    pipe(sample("p1", SampleKind.GENERATION, 0, "policy", 2));
    var out = batches.readKeyValue();
    assertEquals("p1", out.key);
    TrainingBatch b = out.value;
    assertTrue(b.getComplete());
    assertEquals(4, b.getSamples().size());
    assertEquals(SampleKind.DEMONSTRATION, b.getSamples().get(0).getKind());
    assertEquals("p1/0/policy", b.getId());
    assertTrue(batches.isEmpty());
  }

  @Test
  void roundsAndPolicyLinesAreSeparateBatchesAndARedeliveryCountsOnce() {
    for (int i = 0; i < 2; i++) {
      pipe(sample("p2", SampleKind.GENERATION, 0, "policy", i));
      pipe(sample("p2", SampleKind.GENERATION, 1, "policy", i));
      pipe(sample("p2", SampleKind.GENERATION, 0, "base", i));
    }
    pipe(sample("p2", SampleKind.GENERATION, 1, "policy", 1)); // the same sample again
    assertTrue(batches.isEmpty(), "each group has 2 distinct generations of 3");
    pipe(sample("p2", SampleKind.GENERATION, 1, "policy", 2));
    TrainingBatch b = batches.readValue();
    assertEquals("p2/1/policy", b.getId());
    assertEquals(1, b.getRound());
    assertEquals(3, b.getSamples().size(), "no demonstration known, three distinct generations");
    assertTrue(batches.isEmpty());
  }

  @Test
  void anIncompleteGroupIsEmittedAfterTheTimeBound() {
    pipe(sample("p3", SampleKind.GENERATION, 0, "policy", 0));
    pipe(sample("p3", SampleKind.GENERATION, 0, "policy", 1));
    driver.advanceWallClockTime(Duration.ofSeconds(5));
    assertTrue(batches.isEmpty(), "not overdue yet");
    driver.advanceWallClockTime(Duration.ofSeconds(6));
    TrainingBatch b = batches.readValue();
    assertFalse(b.getComplete());
    assertEquals(2, b.getSamples().size());
    driver.advanceWallClockTime(Duration.ofSeconds(20));
    assertTrue(batches.isEmpty(), "emitted once");
    // A straggler after the bound opens a new group rather than being lost.
    pipe(sample("p3", SampleKind.GENERATION, 0, "policy", 2));
    driver.advanceWallClockTime(Duration.ofSeconds(11));
    assertEquals(1, batches.readValue().getSamples().size());
  }

  @Test
  void anUndecodableScoredRecordIsDeadLetteredAndBatchingGoesOn() {
    var raw = driver.createInputTopic(topics.scored.name(), new ByteArraySerializer(), new ByteArraySerializer());
    byte[] garbage = {0x13, 0x37, (byte) 0xff};
    raw.pipeInput("p4".getBytes(StandardCharsets.UTF_8), garbage);
    for (int i = 0; i < 3; i++) {
      pipe(sample("p4", SampleKind.GENERATION, 0, "policy", i));
    }
    assertEquals(3, batches.readValue().getSamples().size(), "the records after the bad one are batched");
    var dead = driver.createOutputTopic(topics.deadLetters.name(), new ByteArrayDeserializer(),
        new ByteArrayDeserializer()).readRecordsToList();
    assertEquals(1, dead.size());
    var letter = dead.get(0);
    assertArrayEquals(garbage, letter.value(), "the bytes as they came");
    assertEquals("p4", new String(letter.key(), StandardCharsets.UTF_8));
    assertEquals(BatchingTopology.UNDECODABLE, header(letter.headers(), DeadLetters.REASON));
    assertEquals(topics.scored.name(), header(letter.headers(), DeadLetters.SOURCE_TOPIC));
    assertEquals("0", header(letter.headers(), DeadLetters.SOURCE_OFFSET));
  }

  private static String header(Headers headers, String name) {
    var h = headers.lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
