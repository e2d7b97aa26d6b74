package io.alignstream.dashboard;

import io.alignstream.broker.ConsumerThread;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.RunEvent;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a run's metrics and events topics from their beginning into a {@link MetricsStore}, on its
 * own daemon thread, until closed.
 *
 * <p>It joins no consumer group and commits nothing (every dashboard sees the whole run, and
 * restarting one replays it), and reads only committed records. A record that does not decode is
 * counted in the store, logged and skipped; it never stops the follower. Topics that do not exist yet
 * are waited for.
 */
public final class RunFollower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunFollower.class);
  private static final Duration POLL = Duration.ofMillis(500);

  private final Topics topics;
  private final MetricsStore store;
  private final AtomicLong recordsRead = new AtomicLong();
  private final ConsumerThread<byte[], byte[]> thread;

  private RunFollower(KafkaConnection connection, Topics topics, MetricsStore store) {
    this.topics = Objects.requireNonNull(topics, "topics");
    this.store = Objects.requireNonNull(store, "store");
    this.thread = ConsumerThread.start("dashboard-follower-" + topics.runId(),
        new KafkaConsumer<>(connection.readerConfig("dashboard-" + topics.runId()), new ByteArrayDeserializer(),
            new ByteArrayDeserializer()), POLL, this::fromTheBeginning, r -> {
              recordsRead.incrementAndGet();
              accept(r);
            });
  }

  /** Starts following {@code topics}' metrics and events into {@code store}; close it to stop. */
  public static RunFollower start(KafkaConnection connection, Topics topics, MetricsStore store) {
    return new RunFollower(Objects.requireNonNull(connection, "connection"), topics, store);
  }

  /** Records consumed so far, decodable or not. */
  public long recordsRead() {
    return recordsRead.get();
  }

  /** Whether the follower thread is still following (false after close or an unexpected failure). */
  public boolean isRunning() {
    return thread.isRunning();
  }

  private void fromTheBeginning(Consumer<byte[], byte[]> consumer) throws InterruptedException {
    List<TopicPartition> partitions = awaitPartitions(consumer);
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Waits until both topics exist, so a dashboard may start before the run does (closing wakes it). */
  private List<TopicPartition> awaitPartitions(Consumer<byte[], byte[]> consumer) throws InterruptedException {
    while (true) {
      var partitions = new ArrayList<TopicPartition>();
      boolean all = true;
      for (String topic : List.of(topics.metrics.name(), topics.events.name())) {
        var infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
        if (infos == null || infos.isEmpty()) {
          all = false;
        } else {
          infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
      }
      if (all) {
        return partitions;
      }
      log.info("waiting for the topics of run {} to exist", topics.runId());
      Thread.sleep(1_000);
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> r) {
    try {
      if (r.topic().equals(topics.metrics.name())) {
        Metric m = topics.metrics.value(r);
        if (m == null) {
          throw new IllegalArgumentException("null value");
        }
        store.add(m);
      } else {
        RunEvent e = topics.events.value(r);
        if (e == null) {
          throw new IllegalArgumentException("null value");
        }
        store.add(e);
      }
    } catch (RuntimeException e) {
      // Serde and Avro errors come as several exception types; any of them means "skip this record".
      store.countUndecodable();
      log.warn("skipped undecodable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
    }
  }

  /** Stops following and waits (a few seconds at most) for the thread to end. */
  @Override
  public void close() {
    thread.close();
  }
}
