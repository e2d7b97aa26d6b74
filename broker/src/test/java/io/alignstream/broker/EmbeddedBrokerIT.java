package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker itself: persistence across restarts, loud start-up failures, clean stop. */
class EmbeddedBrokerIT {
  @Test
  void restartOnTheSameDataDirFindsTopicsAndRecords(@TempDir Path dir) throws Exception {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    Topics topics = Topics.forRun("restart");
    String clusterId;

    // Given a broker that created a run's topics and holds three records
    try (EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(dir))) {
      clusterId = broker.clusterId();
      try (TopicAdmin admin = TopicAdmin.open(broker.connection())) {
        assertTrue(admin.ensure(topics).stream().allMatch(t -> t.outcome() == TopicAdmin.Outcome.CREATED));
      }
      try (var producer = new KafkaProducer<>(broker.connection().producerConfig(),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        for (String v : List.of("one", "two", "three")) {
          producer.send(new ProducerRecord<>(topics.deadLetters.name(), v.getBytes(StandardCharsets.UTF_8))).get();
        }
      }
      // And a second broker on the same data dir is refused, loudly, while the first runs
      var refused = assertThrows(IllegalStateException.class, () -> EmbeddedBroker.start(BrokerConfig.ephemeral(dir)));
      assertTrue(refused.getMessage().contains("is in use by another broker"), refused.getMessage());
    }

    // When it starts again on the same directory (on other ports)
    try (EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(dir))) {
      // Then it is the same cluster, with the same topics and records
      assertEquals(clusterId, broker.clusterId());
      try (TopicAdmin admin = TopicAdmin.open(broker.connection())) {
        assertTrue(admin.ensure(topics).stream().allMatch(t -> t.outcome() == TopicAdmin.Outcome.EXISTED));
        assertTrue(admin.runs().contains("restart"));
      }
      assertEquals(List.of("one", "two", "three"), readAll(broker.connection(), topics.deadLetters.name()));
    }

    // And stopping left no thread that would keep the JVM alive
    assertNoNewNonDaemonThreads(before);
  }

  @Test
  void aPortInUseFailsAtOnceWithAHint(@TempDir Path dir) throws IOException {
    try (var taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      var e = assertThrows(IllegalStateException.class,
          () -> EmbeddedBroker.start(BrokerConfig.of(dir, taken.getLocalPort(), 0)));
      assertTrue(e.getMessage().contains("port " + taken.getLocalPort() + " on 127.0.0.1 is in use"), e.getMessage());
      assertTrue(e.getMessage().contains("--port"), e.getMessage());
    }
  }

  private static List<String> readAll(KafkaConnection kafka, String topic) {
    try (var consumer = new KafkaConsumer<>(kafka.readerConfig("restart-check"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      var tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      var values = new ArrayList<String>();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (consumer.position(tp) < end && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
      }
      return values;
    }
  }

  private static void assertNoNewNonDaemonThreads(Set<Thread> before) throws InterruptedException {
    List<String> left = List.of();
    for (int i = 0; i < 50; i++) {
      left = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> !before.contains(t) && t.isAlive() && !t.isDaemon())
          .map(Thread::getName)
          .collect(Collectors.toList());
      if (left.isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("non-daemon threads left after close: " + left);
  }
}
