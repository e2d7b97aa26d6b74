package io.alignstream.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.WeightChunk;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Chunking, verification and rejection of weights, with mock clients (the real broker is in WeightSubscriberIT). */
class WeightSyncTest {
  private final Topics topics = Topics.forRun("weights-test");
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final WeightPublisher publisher = new WeightPublisher(producer, topics, 1000);
  private final List<PublishedWeights> received = new ArrayList<>();
  private final Map<String, Long> nextOffset = new HashMap<>();
  private MockConsumer<byte[], byte[]> consumer;
  private WeightSubscriber subscriber;

  @BeforeEach
  void setUp() {
    consumer = new MockConsumer<>("earliest");
    subscriber = new WeightSubscriber(consumer, topics, Set.of("policy"), received::add, Duration.ofMillis(50));
    var manifests = new TopicPartition(topics.modelVersions.name(), 0);
    var chunks = new TopicPartition(topics.weightChunks.name(), 0);
    consumer.assign(List.of(manifests, chunks));
    consumer.updateBeginningOffsets(Map.of(manifests, 0L, chunks, 0L));
    consumer.seekToBeginning(List.of(manifests, chunks));
  }

  private static byte[] payload(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Delivers what the producer sent to the consumer, letting {@code tamper} alter or drop records. */
  private void transmit(UnaryOperator<ProducerRecord<byte[], byte[]>> tamper) {
    for (ProducerRecord<byte[], byte[]> r : producer.history()) {
      long offset = nextOffset.merge(r.topic(), 1L, Long::sum) - 1;
      ProducerRecord<byte[], byte[]> t = tamper.apply(r);
      if (t != null) {
        consumer.addRecord(new ConsumerRecord<>(t.topic(), 0, offset, t.key(), t.value()));
      }
    }
    producer.clear();
  }

  @Test
  void aVersionInSeveralChunksArrivesWhole() {
    byte[] weights = payload(3500, 1);
    ModelVersion m = publisher.publish("policy", 1, weights, "{}", "{\"tok\": 1}", 64, Map.of("stage", "sft"));
    assertEquals(4, m.getChunkCount(), "3500 bytes in 1000-byte chunks");
    assertEquals(0, m.getFirstChunkOffset());
    transmit(UnaryOperator.identity());
    subscriber.pollOnce(Duration.ZERO);
    assertEquals(1, received.size());
    assertArrayEquals(weights, received.get(0).payload());
    assertEquals("sft", received.get(0).manifest().getMetadata().get("stage"));
    assertEquals("{\"tok\": 1}", received.get(0).manifest().getTokenizerJson());
    assertEquals(1, subscriber.version("policy"));
  }

  @Test
  void aCorruptChunkIsRejectedAndTheOldWeightsKept() {
    publisher.publish("policy", 1, payload(2500, 1), "{}", "", 0, Map.of());
    transmit(UnaryOperator.identity());
    subscriber.pollOnce(Duration.ZERO);

    publisher.publish("policy", 2, payload(2500, 2), "{}", "", 0, Map.of());
    transmit(r -> {
      if (!r.topic().equals(topics.weightChunks.name())) {
        return r;
      }
      WeightChunk c = topics.weightChunks.valueSerde().deserializer().deserialize(r.topic(), r.value());
      if (c.getIndex() != 1) {
        return r;
      }
      byte[] data = c.getData().array().clone();
      data[7] ^= 0x40; // one flipped bit in flight
      c.setData(ByteBuffer.wrap(data));
      return topics.weightChunks.record(new String(r.key()), c);
    });
    subscriber.pollOnce(Duration.ZERO);
    assertEquals(1, received.size(), "v2 was not delivered");
    assertEquals(1, subscriber.version("policy"));
    assertEquals(1, subscriber.deliveries().rejected());
    assertTrue(subscriber.deliveries().lastRejection().contains("chunk 1 fails its checksum"), subscriber.deliveries().lastRejection());
  }

  @Test
  void aPartialVersionIsRejectedAfterTheTimeout() throws InterruptedException {
    publisher.publish("policy", 1, payload(2500, 1), "{}", "", 0, Map.of());
    transmit(r -> r.topic().equals(topics.weightChunks.name()) && new String(r.key()).endsWith("/2") ? null : r);
    subscriber.pollOnce(Duration.ZERO);
    assertEquals(0, subscriber.deliveries().rejected(), "still waiting for the missing chunk");
    Thread.sleep(80);
    subscriber.pollOnce(Duration.ZERO);
    assertEquals(0, received.size());
    assertEquals(-1, subscriber.version("policy"));
    assertTrue(subscriber.deliveries().lastRejection().contains("partial: 2 of 3 chunks"), subscriber.deliveries().lastRejection());
  }

  @Test
  void aVersionTheModelRefusesIsRejected() {
    var refusing = new WeightSubscriber(consumer, topics, Set.of("policy"), w -> {
      throw new IllegalArgumentException("config.json does not match this model");
    }, Duration.ofSeconds(1));
    publisher.publish("policy", 1, payload(10, 1), "{}", "", 0, Map.of());
    transmit(UnaryOperator.identity());
    refusing.pollOnce(Duration.ZERO);
    assertEquals(-1, refusing.version("policy"));
    assertTrue(refusing.deliveries().lastRejection().contains("the model refused it: config.json does not match"),
        refusing.deliveries().lastRejection());
  }

  @Test
  void versionsOnlyIncreaseAndOtherModelsAreIgnored() {
    publisher.publish("policy", 5, payload(100, 5), "{}", "", 0, Map.of());
    publisher.publish("reward", 9, payload(100, 9), "{}", "", 0, Map.of());
    transmit(UnaryOperator.identity());
    subscriber.pollOnce(Duration.ZERO);
    publisher.publish("policy", 4, payload(100, 4), "{}", "", 0, Map.of()); // a stale publisher
    transmit(UnaryOperator.identity());
    subscriber.pollOnce(Duration.ZERO);
    assertEquals(List.of(5L), received.stream().map(PublishedWeights::version).toList());
  }
}
