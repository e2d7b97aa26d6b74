package io.alignstream.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Each model line's chunks live on their own partition of the chunk topic, so a subscriber fetches
 * only the lines it watches; a run whose chunk topic was created with one partition (before this
 * layout) is still published to and read, and resuming it through {@link TopicAdmin} says why not.
 */
@ExtendWith(KafkaFixture.class)
class WeightPartitionsIT {
  static final int CHUNK = 1000;

  @Test
  void aSubscriberIsAssignedOnlyItsLinesChunkPartition(KafkaConnection kafka, Topics topics) throws Exception {
    // Given the policy and the reward model published in one transaction, as the learner does
    byte[] policy = payload(3500, 1);
    byte[] reward = payload(2500, 2);
    publish(kafka, topics, Map.of(ModelLines.POLICY, policy, ModelLines.REWARD, reward));

    // When a subscriber watches the policy only
    var assigned = new CopyOnWriteArrayList<TopicPartition>();
    var loaded = new ConcurrentHashMap<String, byte[]>();
    try (WeightSubscriber subscriber = new WeightSubscriber(recordingAssign(kafka, assigned), topics,
        Set.of(ModelLines.POLICY), w -> loaded.put(w.manifest().getModelName(), w.payload()), Duration.ofSeconds(5))
        .start()) {
      assertTrue(subscriber.awaitVersion(ModelLines.POLICY, 1, Duration.ofMinutes(1)), subscriber.deliveries().lastRejection());
    }

    // Then it got the policy, whole, and was assigned the manifests and the policy's chunk partition, nothing else
    assertArrayEquals(policy, loaded.get(ModelLines.POLICY));
    assertEquals(Set.of(ModelLines.POLICY), loaded.keySet());
    int n = topics.weightChunks.partitions();
    assertEquals(List.of(new TopicPartition(topics.modelVersions.name(), 0),
        new TopicPartition(topics.weightChunks.name(), Topics.weightChunkPartition(ModelLines.POLICY, n))), assigned);
    assertNotEquals(Topics.weightChunkPartition(ModelLines.POLICY, n), Topics.weightChunkPartition(ModelLines.REWARD, n));
  }

  @Test
  void aRunCreatedWithOneChunkPartitionIsStillReadAndResumingItIsRefusedClearly(KafkaConnection kafka)
      throws Exception {
    // Given a run whose topics were created by the earlier layout: one weight-chunk partition
    Topics topics = Topics.forRun(KafkaFixture.uniqueRunId("one-chunk-partition"));
    try (Admin admin = kafka.admin()) {
      var created = new ArrayList<NewTopic>();
      for (Topic<?, ?> t : topics.all()) {
        int partitions = t == topics.weightChunks ? 1 : t.partitions();
        created.add(new NewTopic(t.name(), Optional.of(partitions), Optional.of((short) 1)).configs(t.configs()));
      }
      admin.createTopics(created).all().get();
    }

    // When both lines are published and each is followed by its own subscriber
    byte[] policy = payload(3500, 3);
    byte[] reward = payload(2500, 4);
    publish(kafka, topics, Map.of(ModelLines.POLICY, policy, ModelLines.REWARD, reward));
    for (var line : Map.of(ModelLines.POLICY, policy, ModelLines.REWARD, reward).entrySet()) {
      var assigned = new CopyOnWriteArrayList<TopicPartition>();
      var loaded = new CopyOnWriteArrayList<byte[]>();
      try (WeightSubscriber subscriber = new WeightSubscriber(recordingAssign(kafka, assigned), topics,
          Set.of(line.getKey()), w -> loaded.add(w.payload()), Duration.ofSeconds(5)).start()) {
        // Then each gets its line from the one partition, as before
        assertTrue(subscriber.awaitVersion(line.getKey(), 1, Duration.ofMinutes(1)), subscriber.deliveries().lastRejection());
      }
      assertArrayEquals(line.getValue(), loaded.get(0));
      assertEquals(new TopicPartition(topics.weightChunks.name(), 0), assigned.get(1));
    }

    // And a service that would write to the run again is told what differs and what to do
    try (TopicAdmin admin = TopicAdmin.open(kafka, 1)) {
      var e = assertThrows(IllegalStateException.class, () -> admin.ensure(topics));
      assertTrue(e.getMessage().contains(topics.weightChunks.name() + " has 1 partitions, the run's layout needs "
          + topics.weightChunks.partitions()), e.getMessage());
      assertTrue(e.getMessage().contains("Use a new --run id"), e.getMessage());
    }
  }

  private static byte[] payload(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Publishes every line's version 1 in one committed transaction. */
  private static void publish(KafkaConnection kafka, Topics topics, Map<String, byte[]> lines) {
    Map<String, Object> config = new HashMap<>(kafka.transactionalProducerConfig("partitions-it-" + topics.runId()));
    config.putAll(WeightPublisher.producerOverrides());
    try (var producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      var publisher = new WeightPublisher(producer, topics, CHUNK);
      lines.forEach((line, payload) -> publisher.publish(line, 1, payload, "{}", "", 0, Map.of()));
      producer.commitTransaction();
    }
  }

  /** A reader that records the partitions it is assigned. */
  @SuppressWarnings("unchecked")
  private static Consumer<byte[], byte[]> recordingAssign(KafkaConnection kafka, List<TopicPartition> assigned) {
    var consumer = new KafkaConsumer<>(kafka.readerConfig("partitions-it"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    return (Consumer<byte[], byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
        new Class<?>[] {Consumer.class}, (proxy, method, args) -> {
          if (method.getName().equals("assign")) {
            assigned.addAll((Collection<TopicPartition>) args[0]);
          }
          try {
            return method.invoke(consumer, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
