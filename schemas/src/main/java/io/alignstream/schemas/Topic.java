package io.alignstream.schemas;

import java.util.Map;
import java.util.Objects;
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

  /** Whether the broker keeps only the latest value per key. */
  public boolean compacted() {
    return configs.getOrDefault("cleanup.policy", "delete").contains("compact");
  }
}
