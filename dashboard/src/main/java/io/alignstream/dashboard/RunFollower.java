package io.alignstream.dashboard;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.RunEvent;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
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

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Topics topics;
  private final MetricsStore store;
  private final Thread thread;
  private final AtomicLong recordsRead = new AtomicLong();
  private volatile boolean closed;
  private volatile Throwable failure;

  private RunFollower(KafkaConnection connection, Topics topics, MetricsStore store) {
    this.topics = Objects.requireNonNull(topics, "topics");
    this.store = Objects.requireNonNull(store, "store");
    this.consumer = new KafkaConsumer<>(connection.readerConfig("dashboard-" + topics.runId()),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "dashboard-follower-" + topics.runId());
    thread.setDaemon(true);
  }

  /** Starts following {@code topics}' metrics and events into {@code store}; close it to stop. */
  public static RunFollower start(KafkaConnection connection, Topics topics, MetricsStore store) {
    var follower = new RunFollower(Objects.requireNonNull(connection, "connection"), topics, store);
    follower.thread.start();
    return follower;
  }

  /** Records consumed so far, decodable or not. */
  public long recordsRead() {
    return recordsRead.get();
  }

  /** Whether the follower thread is still following (false after close or an unexpected failure). */
  public boolean isRunning() {
    return thread.isAlive();
  }

  private void run() {
    try {
      List<TopicPartition> partitions = awaitPartitions();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (!closed) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
          recordsRead.incrementAndGet();
          accept(r);
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        failure = e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure = e;
      log.error("dashboard follower of run {} stopped: {}", topics.runId(), e.toString(), e);
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /** Waits until both topics exist, so a dashboard may start before the run does. */
  private List<TopicPartition> awaitPartitions() throws InterruptedException {
    while (!closed) {
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
    throw new WakeupException();
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
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failure != null) {
      log.debug("follower had failed earlier", failure);
    }
  }
}
