package io.alignstream.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.TopicReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batching topology on a real broker, started again over the local state a learner killed with
 * SIGKILL can leave behind: stores that RocksDB cannot open. It starts, and a prompt's group is still
 * whole, its first samples restored from the changelog.
 */
@ExtendWith(KafkaFixture.class)
class BatchingServiceIT {
  private static final BatchingConfig CONFIG = new BatchingConfig(2, Duration.ofMinutes(5));
  private static final Duration START = Duration.ofMinutes(1);

  @TempDir
  Path stateDir;

  @Test
  void startsOverStoresAKilledLearnerLeftUnopenable(KafkaConnection fixture, Topics topics) throws Exception {
    // The broker's shortest group session: the second start need not wait 45 s for the first one's member.
    var properties = new java.util.HashMap<>(fixture.clientProperties());
    properties.putAll(Map.of("session.timeout.ms", "6000", "heartbeat.interval.ms", "1000"));
    KafkaConnection kafka = new KafkaConnection(fixture.bootstrapServers(), properties);
    // Given a first run that took in a prompt's demonstration and its first generation
    try (BatchingService first = BatchingService.start(kafka, topics, CONFIG, stateDir, START)) {
      send(kafka, topics, sample(SampleKind.DEMONSTRATION, 0), sample(SampleKind.GENERATION, 0));
      awaitConsumed(kafka, topics, 2);
    }
    // And stores as a kill -9 in the middle of re-creating them leaves them: a write-ahead log, nothing else
    List<Path> stores;
    try (Stream<Path> files = Files.walk(stateDir)) {
      stores = files.filter(p -> Files.isDirectory(p) && p.getParent().getFileName().toString().equals("rocksdb"))
          .toList();
    }
    assertFalse(stores.isEmpty(), "the first run kept RocksDB stores under " + stateDir);
    for (Path store : stores) {
      leaveOnlyALogFile(store);
    }

    // When the topology starts again on that directory, and a record that does not decode, then the
    // prompt's second generation arrive
    try (BatchingService again = BatchingService.start(kafka, topics, CONFIG, stateDir, START)) {
      try (var producer = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>(topics.scored.name(), "p1".getBytes(StandardCharsets.UTF_8), new byte[] {7}));
      }
      send(kafka, topics, sample(SampleKind.GENERATION, 1));

      // Then the prompt's batch is whole: the demonstration and both generations
      TrainingBatch batch = awaitBatch(kafka, topics);
      assertTrue(batch.getComplete());
      assertEquals(List.of("demo-p1", "p1/0/policy/0", "p1/0/policy/1"),
          batch.getSamples().stream().map(ScoredSample::getId).toList());
      // And the bad record is a dead letter with its reason, once
      assertEquals(List.of(BatchingTopology.UNDECODABLE), TopicReader.readCommitted(kafka, topics.deadLetters).stream()
          .map(r -> new String(r.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8)).toList());
    }
  }

  private static void leaveOnlyALogFile(Path store) throws IOException {
    try (Stream<Path> files = Files.list(store)) {
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().endsWith(".log")) {
          Files.delete(f);
        }
      }
    }
    try (Stream<Path> files = Files.list(store)) {
      if (files.findAny().isEmpty()) {
        Files.createFile(store.resolve("000017.log"));
      }
    }
  }

  private static ScoredSample sample(SampleKind kind, int index) {
    boolean demo = kind == SampleKind.DEMONSTRATION;
    return ScoredSample.newBuilder().setId(demo ? "demo-p1" : "p1/0/policy/" + index).setKind(kind).setPromptId("p1")
        .setRound(0).setPrompt("x").setResponse("y").setPromptTokenIds(List.of(1)).setResponseTokenIds(List.of(2, 0))
        .setLogProbs(demo ? List.of() : List.of(-1f, -2f)).setPolicyName(demo ? "demonstration" : "policy")
        .setPolicyVersion(demo ? -1 : 1).setRewards(List.of(0.5f)).setRewardMean(0.5f).setRewardStd(0f)
        .setRewardModelVersion(1).setCreatedAtMs(1).setScoredAtMs(2).build();
  }

  private static void send(KafkaConnection kafka, Topics topics, ScoredSample... samples) {
    try (var producer = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (ScoredSample s : samples) {
        producer.send(topics.scored.record(s.getPromptId(), s));
      }
    }
  }

  /** Until the topology's group has committed past {@code records} scored records (all on one partition). */
  private static void awaitConsumed(KafkaConnection kafka, Topics topics, long records) throws Exception {
    long deadline = System.nanoTime() + START.toNanos();
    try (var admin = kafka.admin()) {
      while (true) {
        var offsets = admin.listConsumerGroupOffsets(BatchingService.applicationId(topics))
            .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        long committed = offsets.entrySet().stream()
            .filter(e -> e.getKey().topic().equals(topics.scored.name()) && e.getValue() != null)
            .mapToLong(e -> e.getValue().offset()).sum();
        if (committed >= records) {
          return;
        }
        assertTrue(System.nanoTime() < deadline, "the batching topology did not consume the samples: " + offsets);
        Thread.sleep(100);
      }
    }
  }

  private static TrainingBatch awaitBatch(KafkaConnection kafka, Topics topics) throws InterruptedException {
    long deadline = System.nanoTime() + START.toNanos();
    while (true) {
      List<ConsumerRecord<String, TrainingBatch>> batches = TopicReader.readCommitted(kafka, topics.batches);
      if (!batches.isEmpty()) {
        assertEquals(1, batches.size(), "one batch");
        return batches.get(0).value();
      }
      assertTrue(System.nanoTime() < deadline, "no batch came out");
      Thread.sleep(200);
    }
  }
}
