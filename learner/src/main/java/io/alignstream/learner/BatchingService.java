package io.alignstream.learner;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the {@link BatchingTopology} of one run, exactly once, until closed. */
public final class BatchingService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchingService.class);

  private final KafkaStreams streams;

  private BatchingService(KafkaStreams streams) {
    this.streams = streams;
  }

  /** The Streams application id of a run's batching (also its consumer group). */
  public static String applicationId(Topics topics) {
    return Topics.prefix(topics.runId()) + "batching";
  }

  /** Starts the topology with its state under {@code stateDir}, and waits until it runs. */
  public static BatchingService start(KafkaConnection kafka, Topics topics, BatchingConfig config, Path stateDir,
      Duration startTimeout) {
    try {
      Files.createDirectories(stateDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the batching state directory " + stateDir, e);
    }
    // Changelogs as replicated as the cluster allows, so batching survives a broker's death.
    Properties props = kafka.streamsConfig(applicationId(topics), stateDir, KafkaConnection.CLUSTER_DEFAULT_REPLICATION);
    // A batch is emitted by count or time bound; commit often so the learner sees it soon.
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
    props.putAll(BatchingTopology.streamsProperties(topics));
    var streams = new KafkaStreams(BatchingTopology.build(topics, config), props);
    // Start from the changelog, never from what a previous process left on disk: a learner killed (-9)
    // while Streams re-created a corrupted task left stores RocksDB refuses to open ("wal_dir contains
    // existing log file"), and the learner could not start again. The stores are a changelogged cache of a
    // few records per open prompt and per demonstration, so restoring them costs little.
    streams.cleanUp();
    streams.setUncaughtExceptionHandler(e -> {
      log.error("batching stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.start();
    long deadline = System.nanoTime() + startTimeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (streams.state() == KafkaStreams.State.ERROR || System.nanoTime() > deadline) {
        streams.close(Duration.ofSeconds(10));
        throw new IllegalStateException("the batching topology did not start (state " + streams.state() + ")");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        streams.close(Duration.ofSeconds(10));
        throw new IllegalStateException("interrupted while starting the batching topology", e);
      }
    }
    return new BatchingService(streams);
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
