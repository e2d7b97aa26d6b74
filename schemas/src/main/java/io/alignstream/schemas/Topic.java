package io.alignstream.schemas;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic bound to its name, key and value serdes, partition count and topic configs. Services
 * never spell a topic name or pick a serde themselves: they take a {@code Topic} from {@link Topics}.
 *
 * @param name full topic name, including the run prefix
 * @param keySerde serde of record keys
 * @param valueSerde serde of record values
 * @param partitions partitions to create it with (the upper bound on consumer replicas)
 * @param configs topic-level configs to create it with (cleanup policy, retention, size limits)
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, int partitions,
    Map<String, String> configs) {
  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + " needs at least one partition, got " + partitions);
    }
    configs = Map.copyOf(configs);
  }

  /** A record for a byte-level producer, serialized with this topic's serdes. */
  public ProducerRecord<byte[], byte[]> record(K key, V value) {
    return new ProducerRecord<>(name, keySerde.serializer().serialize(name, key),
        valueSerde.serializer().serialize(name, value));
  }

  /** A record for a byte-level producer, for partition {@code partition}, serialized with this topic's serdes. */
  public ProducerRecord<byte[], byte[]> record(int partition, K key, V value) {
    return new ProducerRecord<>(name, partition, keySerde.serializer().serialize(name, key),
        valueSerde.serializer().serialize(name, value));
  }

  /** The key of a record read from this topic by a byte-level consumer. */
  public K key(ConsumerRecord<byte[], byte[]> record) {
    return keySerde.deserializer().deserialize(name, record.headers(), record.key());
  }

  /**
   * The value of a record read from this topic by a byte-level consumer.
   *
   * @throws org.apache.kafka.common.errors.SerializationException when the bytes do not decode
   */
  public V value(ConsumerRecord<byte[], byte[]> record) {
    return valueSerde.deserializer().deserialize(name, record.headers(), record.value());
  }

  /** Whether the broker keeps only the latest value per key. */
  public boolean compacted() {
    return configs.getOrDefault("cleanup.policy", "delete").contains("compact");
  }
}
