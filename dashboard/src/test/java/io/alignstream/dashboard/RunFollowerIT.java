package io.alignstream.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaFixture.class)
class RunFollowerIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  static KafkaProducer<byte[], byte[]> producer(KafkaConnection connection) {
    return new KafkaProducer<>(connection.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  @Test
  void followsMetricsAndEventsFromTheBeginningSkipsUndecodableRecordsAndServesThemOnLoopback(
      KafkaConnection connection, Topics topics) throws Exception {
    // Given records already on the topics, one of them garbage, before the dashboard starts
    try (var producer = producer(connection)) {
      producer.send(topics.metrics.record("learner", SyntheticRun.metric("learner", "reward.accuracy", 0.55, 1, 1, 1_000)));
      producer.send(new ProducerRecord<>(topics.metrics.name(), "x".getBytes(), new byte[] {1, 2, 3}));
      producer.send(topics.metrics.record("learner", SyntheticRun.metric("learner", "reward.accuracy", 0.6, 2, 2, 2_000)));
      producer.send(topics.events.record("learner",
          SyntheticRun.event("learner", "stage", "loop: SFT done", 1_500, Map.of("stage", "loop"))));
      producer.flush();
    }
    var store = new MetricsStore();
    // When a follower and a dashboard start on port 0
    try (RunFollower follower = RunFollower.start(connection, topics, store);
        Dashboard dashboard = Dashboard.start(DashboardConfig.loopback(topics.runId(), 0), store)) {
      await("the first records", Duration.ofSeconds(20), () -> store.metricsSeen() == 2 && store.eventsSeen() == 1);
      // and more arrive while it follows
      try (var producer = producer(connection)) {
        producer.send(topics.metrics.record("sampler-1",
            SyntheticRun.metric("sampler-1", "sampler.generations_per_s", 31.5, 7, 2, 2_500)));
        producer.flush();
      }
      await("the live record", Duration.ofSeconds(20), () -> store.metricsSeen() == 3);

      // Then the API shows them all, the garbage counted and skipped, from a loopback-only server
      URI url = dashboard.url();
      assertEquals("127.0.0.1", url.getHost());
      assertTrue(dashboard.address().getAddress().isLoopbackAddress());
      JsonNode metrics = JSON.readTree(DashboardTest.get(url.resolve("/api/metrics")).body());
      assertEquals(2, metrics.at("/reward.accuracy/learner").size());
      assertEquals(0.6, metrics.at("/reward.accuracy/learner/1/2").asDouble());
      assertEquals(31.5, metrics.at("/sampler.generations_per_s/sampler-1/0/2").asDouble());
      JsonNode events = JSON.readTree(DashboardTest.get(url.resolve("/api/events")).body());
      assertEquals("loop", events.get("stage").asText());
      assertEquals(1, events.get("undecodable").asLong());
      assertEquals(5, follower.recordsRead(), "three metrics (one undecodable), an event, a live metric");
      assertTrue(follower.isRunning());
    }
  }

  @Test
  void closeStopsTheFollowerEvenBeforeItsTopicsExist(KafkaConnection connection) {
    Topics missing = Topics.forRun(KafkaFixture.uniqueRunId("missing"));
    RunFollower follower = RunFollower.start(connection, missing, new MetricsStore());
    follower.close();
    assertTrue(!follower.isRunning(), "the follower thread ended");
  }
}
