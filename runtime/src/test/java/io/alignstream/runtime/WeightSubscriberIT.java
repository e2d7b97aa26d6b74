package io.alignstream.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.WeightChunk;
import io.alignstream.testkit.KafkaFixture;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue #8: corrupt and truncated weight chunks reach a live subscriber through the real broker, in
 * committed transactions like real versions; each such version is rejected, the listener keeps the
 * old weights, and the next good version is still taken.
 */
@ExtendWith(KafkaFixture.class)
class WeightSubscriberIT {
  static final int CHUNK = 1000;
  static final Duration PARTIAL = Duration.ofSeconds(2);

  @Test
  void corruptTruncatedAndUndecodableChunksAreRejectedAndTheOldWeightsKept(KafkaConnection kafka, Topics topics)
      throws Exception {
    // Given a live subscriber that has loaded v1
    List<byte[]> loaded = new CopyOnWriteArrayList<>();
    var consumer = new KafkaConsumer<>(kafka.readerConfig("weights-it"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    Map<String, Object> config = new HashMap<>(kafka.transactionalProducerConfig("weights-it-" + topics.runId()));
    config.putAll(WeightPublisher.producerOverrides());
    try (var producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        WeightSubscriber subscriber = new WeightSubscriber(consumer, topics, Set.of("policy"),
            w -> loaded.add(w.payload()), PARTIAL).start()) {
      producer.initTransactions();
      byte[] v1 = payload(1);
      publish(producer, topics, 1, v1, UnaryOperator.identity());
      assertTrue(subscriber.awaitVersion("policy", 1, Duration.ofMinutes(1)), "v1 delivered");

      // When v2 arrives with one bit flipped in chunk 1
      publish(producer, topics, 2, payload(2), chunk(topics, 1, c -> {
        byte[] data = bytes(c);
        data[7] ^= 0x40;
        c.setData(ByteBuffer.wrap(data));
      }));
      // Then it is rejected and v1 stays
      awaitRejections(subscriber, 1);
      assertTrue(subscriber.deliveries().lastRejection().contains("policy v2 rejected, old weights kept: chunk 1 fails its checksum"),
          subscriber.deliveries().lastRejection());
      assertKept(subscriber, loaded, v1);

      // When v3's chunk 1 is truncated to half and re-sealed with a checksum of what is left
      publish(producer, topics, 3, payload(3), chunk(topics, 1, c -> {
        byte[] half = Arrays.copyOf(bytes(c), CHUNK / 2);
        c.setData(ByteBuffer.wrap(half));
        c.setSha256(ContentId.sha256(half));
      }));
      // Then the manifest's length and checksum catch it
      awaitRejections(subscriber, 2);
      assertTrue(subscriber.deliveries().lastRejection().contains("policy v3 rejected, old weights kept: payload is 2000 bytes, "
          + "manifest says 2500"), subscriber.deliveries().lastRejection());
      assertKept(subscriber, loaded, v1);

      // When v4's chunk 2 is not even a chunk (bytes no decoder reads)
      publish(producer, topics, 4, payload(4), r -> new String(r.key(), StandardCharsets.UTF_8).equals("policy/2")
          ? new ProducerRecord<>(r.topic(), r.key(), "not avro at all".getBytes(StandardCharsets.UTF_8)) : r);
      // Then the version stays partial and is rejected after the partial time-out
      awaitRejections(subscriber, 3);
      assertTrue(subscriber.deliveries().lastRejection().contains("policy v4 rejected, old weights kept: partial: 2 of 3 chunks"),
          subscriber.deliveries().lastRejection());
      assertKept(subscriber, loaded, v1);

      // When a good v5 follows, Then it is loaded: the subscriber is still working
      byte[] v5 = payload(5);
      publish(producer, topics, 5, v5, UnaryOperator.identity());
      assertTrue(subscriber.awaitVersion("policy", 5, Duration.ofMinutes(1)), "v5 delivered");
      assertEquals(2, loaded.size());
      assertArrayEquals(v5, loaded.get(1));
      assertEquals(2, subscriber.deliveries().accepted());
      assertEquals(3, subscriber.deliveries().rejected());
    }
  }

  private static byte[] payload(long seed) {
    byte[] b = new byte[2500]; // three chunks of 1000, 1000 and 500 bytes
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Publishes a version in one committed transaction, passing every record through {@code tamper}. */
  @SuppressWarnings("unchecked")
  private static void publish(KafkaProducer<byte[], byte[]> producer, Topics topics, long version, byte[] payload,
      UnaryOperator<ProducerRecord<byte[], byte[]>> tamper) {
    // The real publisher's code path, with a hand on the records it sends: a proxy rewrites send().
    Producer<byte[], byte[]> tampering = (Producer<byte[], byte[]>) Proxy.newProxyInstance(
        Producer.class.getClassLoader(), new Class<?>[] {Producer.class}, (proxy, method, args) -> {
          if (method.getName().equals("send")) {
            args = args.clone();
            args[0] = tamper.apply((ProducerRecord<byte[], byte[]>) args[0]);
          }
          try {
            return method.invoke(producer, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    producer.beginTransaction();
    new WeightPublisher(tampering, topics, CHUNK).publish("policy", version, payload, "{}", "", 0, Map.of());
    producer.commitTransaction();
  }

  /** A tamper that edits chunk {@code index} of the version and leaves every other record alone. */
  private static UnaryOperator<ProducerRecord<byte[], byte[]>> chunk(Topics topics, int index,
      java.util.function.Consumer<WeightChunk> edit) {
    return r -> {
      if (!r.topic().equals(topics.weightChunks.name())) {
        return r;
      }
      WeightChunk c = topics.weightChunks.valueSerde().deserializer().deserialize(r.topic(), r.value());
      if (c.getIndex() != index) {
        return r;
      }
      edit.accept(c);
      // Same partition: the tamper edits the chunk, not where its model line's chunks are kept.
      return topics.weightChunks.record(r.partition(), new String(r.key(), StandardCharsets.UTF_8), c);
    };
  }

  private static byte[] bytes(WeightChunk c) {
    var b = c.getData().duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static void awaitRejections(WeightSubscriber subscriber, long n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (subscriber.deliveries().rejected() < n) {
      assertTrue(System.nanoTime() < deadline, "rejections: " + subscriber.deliveries().rejected() + " of " + n);
      Thread.sleep(20);
    }
  }

  private static void assertKept(WeightSubscriber subscriber, List<byte[]> loaded, byte[] v1) {
    assertEquals(1, subscriber.version("policy"));
    assertEquals(1, loaded.size(), "the listener was not handed the bad version");
    assertArrayEquals(v1, loaded.get(0));
  }
}
