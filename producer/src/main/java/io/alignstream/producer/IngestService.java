package io.alignstream.producer;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link IngestTopology} for one run, exactly once, until closed.
 *
 * <p>All instances for a run share one application id, so any number of them ({@code alignstream
 * ingest} processes, {@code produce --ingest}, the all-in-one demo's) split the raw topic's partitions,
 * and the duplicate store lives in its changelog topic on the broker, not in a local directory.
 */
public final class IngestService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngestService.class);

  private final KafkaStreams streams;
  private final CountDownLatch stopped;
  private final IngestCounts counts;
  private final AtomicLong threadsReplaced;
  private final Path temporaryStateDir; // made by start and deleted on close; null when the config names one

  private IngestService(KafkaStreams streams, CountDownLatch stopped, IngestCounts counts, AtomicLong threadsReplaced,
      Path temporaryStateDir) {
    this.streams = streams;
    this.stopped = stopped;
    this.counts = counts;
    this.threadsReplaced = threadsReplaced;
    this.temporaryStateDir = temporaryStateDir;
  }

  /** The Streams application id of a run's ingest service (also its consumer group). */
  public static String applicationId(Topics topics) {
    return Topics.prefix(topics.runId()) + "ingest";
  }

  /** Starts the topology; call {@link #awaitRunning} before relying on it. */
  public static IngestService start(KafkaConnection kafka, Topics topics, IngestConfig config) {
    boolean temporary = config.stateDir() == null;
    Path stateDir;
    try {
      stateDir = temporary ? Files.createTempDirectory("alignstream-ingest-") : Files.createDirectories(config.stateDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the ingest state directory " + config.stateDir(), e);
    }
    // Changelogs and repartition topics as replicated as the cluster allows, so ingest survives a broker's death.
    Properties props = kafka.streamsConfig(applicationId(topics), stateDir, KafkaConnection.CLUSTER_DEFAULT_REPLICATION);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.toString(config.commitInterval().toMillis()));
    // No global stores here; opting in to the 5.0 default silences a start-up warning on every run.
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
    var counts = new IngestCounts();
    var streams = new KafkaStreams(IngestTopology.build(topics, config, counts), props);
    var threadsReplaced = new AtomicLong();
    streams.setUncaughtExceptionHandler(e -> {
      // Input problems never get here (they are dead letters); this is the broker or a bug. A fresh
      // thread resumes from the last commit, so exactly-once still holds.
      threadsReplaced.incrementAndGet();
      log.error("ingest stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    var stopped = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
        stopped.countDown();
      }
    });
    streams.start();
    return new IngestService(streams, stopped, counts, threadsReplaced, temporary ? stateDir : null);
  }

  /**
   * Waits until the topology is processing.
   *
   * @throws IllegalStateException if it fails or is not running within {@code timeout}
   */
  public IngestService awaitRunning(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      KafkaStreams.State state = streams.state();
      if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING
          || state == KafkaStreams.State.PENDING_ERROR) {
        throw new IllegalStateException("the ingest topology stopped while starting (state " + state + "); see the log");
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the ingest topology was not running within " + timeout.toSeconds()
            + " s (state " + state + "): is the broker reachable?");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the ingest topology", e);
      }
    }
    return this;
  }

  /**
   * Blocks until the topology stops: closed (from another thread, a shutdown hook) or failed.
   *
   * @throws IllegalStateException when it failed
   */
  public void awaitStopped() throws InterruptedException {
    stopped.await();
    if (streams.state() == KafkaStreams.State.ERROR) {
      throw new IllegalStateException("the ingest topology failed (state ERROR); see the log");
    }
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Stream threads that died and were replaced: 0 unless the broker failed or there is a bug. */
  public long threadsReplaced() {
    return threadsReplaced.get();
  }

  /** What this process's topology has decided so far. */
  public IngestCounts.Snapshot counts() {
    return counts.snapshot();
  }

  @Override
  public void close() {
    // Leave the group at once: the next instance (often the next 'produce') then gets the partitions
    // without waiting out this member's session timeout.
    streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
        .withTimeout(Duration.ofSeconds(30)));
    if (temporaryStateDir != null) {
      try (Stream<Path> paths = Files.walk(temporaryStateDir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        log.debug("could not delete {}; it is temporary", temporaryStateDir, e);
      }
    }
  }
}
