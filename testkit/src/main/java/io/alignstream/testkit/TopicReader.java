package io.alignstream.testkit;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a topic from its beginning to its end as of the call, for assertions in tests.
 *
 * <p>Contract: returns every record visible at the given isolation level whose offset was below the
 * partition's end when the call began, partition by partition in offset order; it does not wait
 * for later records, so it needs no sleep and cannot hang on an idle topic. It joins no consumer
 * group and commits nothing. Fails if the end is not reached within {@code timeout}.
 */
public final class TopicReader {
  private TopicReader() {}

  /** The committed records of {@code topic} ({@code read_committed}), within 30 s. */
  public static <K, V> List<ConsumerRecord<K, V>> readCommitted(KafkaConnection connection, Topic<K, V> topic) {
    return read(connection, topic, true, Duration.ofSeconds(30));
  }

  /** Every record of {@code topic}, including those of open or aborted transactions. */
  public static <K, V> List<ConsumerRecord<K, V>> readUncommitted(KafkaConnection connection, Topic<K, V> topic) {
    return read(connection, topic, false, Duration.ofSeconds(30));
  }

  /** Reads {@code topic} to its current end at the chosen isolation level. */
  public static <K, V> List<ConsumerRecord<K, V>> read(KafkaConnection connection, Topic<K, V> topic,
      boolean committedOnly, Duration timeout) {
    Map<String, Object> config = new HashMap<>(connection.readerConfig("topic-reader"));
    config.put("isolation.level", committedOnly ? "read_committed" : "read_uncommitted");
    try (var consumer = new KafkaConsumer<>(config, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), timeout).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition()))
          .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
          .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      var records = new ArrayList<ConsumerRecord<K, V>>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!reached(consumer, end, timeout)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("did not read " + topic.name() + " to its end " + end + " within " + timeout);
        }
        for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            records.add(r);
          }
        }
      }
      records.sort((a, b) -> a.partition() != b.partition()
          ? Integer.compare(a.partition(), b.partition()) : Long.compare(a.offset(), b.offset()));
      return records;
    }
  }

  private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end, Duration timeout) {
    for (var e : end.entrySet()) {
      if (consumer.position(e.getKey(), timeout) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
