package io.alignstream.producer;

import io.alignstream.broker.ConsumerThread;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * What the ingest topology decided about one sender's batch, read from the per-batch counts it
 * publishes on the metrics topic ({@link IngestTopology#BATCH_METRIC}). Whichever ingest instance
 * processes the records (this process's or another's), the counts arrive here.
 *
 * <p>It starts reading at the metrics topic's end as of {@link #start}, so call that before sending.
 * A background thread keeps the latest counts; {@link #await} waits until they cover what was sent.
 */
public final class BatchVerdict implements AutoCloseable {
  /** The batch's records decided so far. */
  public record Counts(long accepted, long duplicates, long rejected) {
    public static final Counts NONE = new Counts(0, 0, 0);

    public long total() {
      return accepted + duplicates + rejected;
    }
  }

  private final String batchId;
  private final java.util.function.Consumer<Counts> onUpdate;
  private volatile Counts latest = Counts.NONE;
  private ConsumerThread<String, Metric> thread;

  private BatchVerdict(String batchId, java.util.function.Consumer<Counts> onUpdate) {
    this.batchId = batchId;
    this.onUpdate = onUpdate;
  }

  /** Starts following the counts of {@code batchId}, from the metrics topic's current end. */
  public static BatchVerdict start(KafkaConnection kafka, Topics topics, String batchId) {
    return start(kafka, topics, batchId, c -> { });
  }

  /** Like {@link #start(KafkaConnection, Topics, String)}; {@code onUpdate} is called (on its thread) with new counts. */
  public static BatchVerdict start(KafkaConnection kafka, Topics topics, String batchId,
      java.util.function.Consumer<Counts> onUpdate) {
    Map<String, Object> config = new HashMap<>(kafka.consumerConfig("alignstream-produce-" + UUID.randomUUID()));
    config.put("enable.auto.commit", "false");
    var consumer = new KafkaConsumer<>(config, topics.metrics.keySerde().deserializer(),
        topics.metrics.valueSerde().deserializer());
    try {
      List<TopicPartition> partitions = consumer.partitionsFor(topics.metrics.name(), Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      // Seek now, before anything is sent: later counts of this batch all lie after these offsets.
      consumer.endOffsets(partitions, Duration.ofSeconds(30)).forEach(consumer::seek);
      partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30)));
    } catch (RuntimeException e) {
      consumer.close();
      throw new IllegalStateException("cannot read the metrics topic " + topics.metrics.name() + ": " + e.getMessage(), e);
    }
    var verdict = new BatchVerdict(batchId, onUpdate);
    verdict.thread = ConsumerThread.start("batch-verdict-" + batchId, consumer, Duration.ofMillis(200), c -> { },
        verdict::accept);
    return verdict;
  }

  public Counts latest() {
    return latest;
  }

  /** Waits until {@code expected} records are decided or {@code timeout} passes; returns the counts then. */
  public Counts await(long expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (latest.total() < expected && System.nanoTime() < deadline && thread.isRunning()) {
      Thread.sleep(50);
    }
    return latest;
  }

  private void accept(ConsumerRecord<String, Metric> r) {
    Metric m = r.value();
    if (m != null && IngestTopology.BATCH_METRIC.equals(m.getName()) && batchId.equals(m.getTags().get("batch"))) {
      var counts = new Counts(number(m, "accepted"), number(m, "duplicate"), number(m, "rejected"));
      // Counts only grow; an older update read late must not go back.
      if (counts.total() >= latest.total()) {
        latest = counts;
        onUpdate.accept(counts);
      }
    }
  }

  private static long number(Metric m, String tag) {
    String v = m.getTags().get(tag);
    return v == null ? 0 : Long.parseLong(v);
  }

  @Override
  public void close() {
    thread.close();
  }
}
