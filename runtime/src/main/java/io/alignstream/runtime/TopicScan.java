package io.alignstream.runtime;

import io.alignstream.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads partitions to an end fixed when the scan starts, with a consumer of the caller's that joins no
 * group (assigned partitions): how a service rebuilds what a topic already holds (a run's
 * demonstrations, the versions already published, the batches between two offsets). Each
 * partition's records come in offset order; partitions interleave. A read_committed consumer's end is
 * the last stable offset, so a scan never waits on an open transaction's records.
 */
public final class TopicScan {
  private static final Duration POLL = Duration.ofMillis(200);

  private TopicScan() {}

  /** What is done with each record; may throw the caller's checked exception. */
  public interface RecordStep<E extends Exception> {
    void accept(ConsumerRecord<byte[], byte[]> record) throws E;
  }

  /** Every partition of {@code topic}, in order. */
  public static List<TopicPartition> partitions(Topic<?, ?> topic) {
    List<TopicPartition> parts = new ArrayList<>();
    for (int p = 0; p < topic.partitions(); p++) {
      parts.add(new TopicPartition(topic.name(), p));
    }
    return parts;
  }

  /** Assigns {@code partitions} to {@code consumer} and reads them from their beginning to their end as of now. */
  public static <E extends Exception> void fromBeginning(Consumer<byte[], byte[]> consumer,
      List<TopicPartition> partitions, RecordStep<E> each) throws E {
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    toEnd(consumer, partitions, each);
  }

  /** From the consumer's positions, every record below each partition's end offset as of now. */
  public static <E extends Exception> void toEnd(Consumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
      RecordStep<E> each) throws E {
    until(consumer, consumer.endOffsets(partitions), each);
  }

  /** From the consumer's positions, every record below {@code end} (partition → first offset not read). */
  public static <E extends Exception> void until(Consumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end,
      RecordStep<E> each) throws E {
    while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
        Long stop = end.get(new TopicPartition(r.topic(), r.partition()));
        if (stop != null && r.offset() < stop) {
          each.accept(r);
        }
      }
    }
  }
}
