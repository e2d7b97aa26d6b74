package io.alignstream.producer;

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
import org.apache.kafka.common.errors.WakeupException;

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
  private final KafkaConsumer<String, Metric> consumer;
  private final Thread thread;
  private final java.util.function.Consumer<Counts> onUpdate;
  private volatile Counts latest = Counts.NONE;
  private volatile boolean closed;

  private BatchVerdict(String batchId, KafkaConsumer<String, Metric> consumer,
      java.util.function.Consumer<Counts> onUpdate) {
    this.batchId = batchId;
    this.onUpdate = onUpdate;
    this.consumer = consumer;
    this.thread = new Thread(this::poll, "batch-verdict-" + batchId);
    this.thread.setDaemon(true);
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
    var verdict = new BatchVerdict(batchId, consumer, onUpdate);
    verdict.thread.start();
    return verdict;
  }

  public Counts latest() {
    return latest;
  }

  /** Waits until {@code expected} records are decided or {@code timeout} passes; returns the counts then. */
  public Counts await(long expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (latest.total() < expected && System.nanoTime() < deadline && thread.isAlive()) {
      Thread.sleep(50);
    }
    return latest;
  }

  private void poll() {
    try {
      while (!closed) {
        for (ConsumerRecord<String, Metric> r : consumer.poll(Duration.ofMillis(200))) {
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
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private static long number(Metric m, String tag) {
    String v = m.getTags().get(tag);
    return v == null ? 0 : Long.parseLong(v);
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
