package io.alignstream.app;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.TopicScan;
import io.alignstream.runtime.Transactions;
import io.alignstream.runtime.WeightSubscriber;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What a replay reads from the recorded run A, and how it copies A's inputs into the new run B:
 * A's π_0 with its recipe, A's topics record by record in their order, B's topics checked empty.
 */
final class RecordedRun {
  private RecordedRun() {}

  /** π_0 as A's learner published it (with the recipe in its manifest). */
  static PublishedWeights base(KafkaConnection kafka, Topics from, Duration wait) throws IOException, InterruptedException {
    // The manifest first: without it the subscriber below would only time out, saying less.
    AtomicReference<ModelVersion> manifest = new AtomicReference<>();
    readAll(kafka, from.modelVersions, m -> {
      if (m.getModelName().equals(ModelLines.BASE)) {
        manifest.set(m);
      }
    });
    if (manifest.get() == null) {
      throw new IllegalStateException("run '" + from.runId() + "' has no published π_0 (model line '" + ModelLines.BASE
          + "'): its learner never finished SFT, so there is nothing to replay");
    }
    AtomicReference<PublishedWeights> got = new AtomicReference<>();
    try (WeightSubscriber subscriber = new WeightSubscriber(new KafkaConsumer<>(kafka.readerConfig("replay-weights"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer()), from, Set.of(ModelLines.BASE), got::set,
        Duration.ofSeconds(30)).start()) {
      if (!subscriber.awaitVersion(ModelLines.BASE, manifest.get().getVersion(), wait)) {
        String why = subscriber.deliveries().lastRejection();
        throw new IllegalStateException("π_0 of run '" + from.runId() + "' did not arrive complete within "
            + wait.toSeconds() + " s" + (why.isEmpty() ? "" : ": " + why));
      }
    }
    return got.get();
  }

  /** Fails unless B's data topics are empty: a replay writes a whole run, never into one. */
  static void requireEmpty(KafkaConnection kafka, Topics to) {
    List<TopicPartition> parts = new ArrayList<>();
    for (Topic<?, ?> t : List.of(to.demonstrations, to.generations, to.scored, to.batches, to.modelVersions)) {
      parts.addAll(TopicScan.partitions(t));
    }
    try (var consumer = new KafkaConsumer<>(kafka.readerConfig("replay-check"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.assign(parts); // end offsets of unassigned partitions make the consumer warn per partition
      Map<String, Long> records = new TreeMap<>();
      consumer.endOffsets(parts).forEach((tp, end) -> {
        if (end > 0) {
          records.merge(tp.topic().substring(Topics.prefix(to.runId()).length()), end, Long::sum);
        }
      });
      if (!records.isEmpty()) {
        throw new IllegalStateException("run '" + to.runId() + "' already has records " + records
            + ": replay into a new run id (--as)");
      }
    }
  }

  /** Copies a topic partition by partition, in order, in one transaction; returns the records copied. */
  static <V> int copy(KafkaConnection kafka, Producer<byte[], byte[]> producer, Topic<String, V> source,
      Topic<String, V> target, Consumer<V> each) {
    int[] n = {0};
    Transactions.run(producer, () -> forEach(kafka, source, r -> {
      producer.send(new ProducerRecord<>(target.name(), r.partition(), r.timestamp(), r.key(), r.value(),
          r.headers()));
      n[0]++;
      decode(source, r).ifPresent(each);
    }));
    return n[0];
  }

  /** Every committed value of a topic that decodes, partition by partition. */
  static <V> void readAll(KafkaConnection kafka, Topic<String, V> topic, Consumer<V> each) {
    forEach(kafka, topic, r -> decode(topic, r).ifPresent(each));
  }

  private static <V> Optional<V> decode(Topic<String, V> topic, ConsumerRecord<byte[], byte[]> r) {
    try {
      return Optional.ofNullable(topic.value(r));
    } catch (SerializationException e) {
      return Optional.empty(); // the live services skipped it too
    }
  }

  /** Every committed record below each partition's end as of the call, each partition's in its order. */
  private static void forEach(KafkaConnection kafka, Topic<?, ?> topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    try (var consumer = new KafkaConsumer<>(kafka.readerConfig("replay-reader"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      TopicScan.fromBeginning(consumer, TopicScan.partitions(topic), each::accept);
    }
  }
}
