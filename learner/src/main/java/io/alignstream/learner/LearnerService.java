package io.alignstream.learner;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.console.ProgressBar;
import io.alignstream.model.CheckpointStore;
import io.alignstream.model.Example;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.runtime.CommittedRecords;
import io.alignstream.runtime.RunReporter;
import io.alignstream.runtime.Service;
import io.alignstream.runtime.Transactions;
import io.alignstream.runtime.WeightPublisher;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learner service: SFT on the run's demonstrations, then continuous updates from training
 * batches, each one checkpointed locally and published through Kafka.
 *
 * <p>Exactly once, across crashes: an update is first checkpointed (weights, optimisers, pools and
 * the batches offset after it), then published in one producer transaction together with that
 * offset (committed for the learner's group) and the next round's prompts ({@link LearnerPublisher}).
 * On start the learner resumes from its newest checkpoint; if that checkpoint is ahead of the
 * committed offset (it died between the two), it republishes the checkpoint's version and the
 * prompts of the batches in between before going on. So no batch is applied twice or skipped, and
 * versions only increase.
 *
 * <p>Other threads see the learner only through {@link #snapshot()}, an immutable record replaced
 * after every published version. The clients are created by the caller (so tests can wire them) and
 * owned by the service.
 */
public final class LearnerService implements Service {
  private static final Logger log = LoggerFactory.getLogger(LearnerService.class);
  static final String OFFSET_KEY = "batchesOffset";
  /** Batch records read (trained, or skipped as undecodable) up to OFFSET_KEY: offsets are not a count. */
  static final String BATCHES_READ_KEY = "batchesRead";
  /** Dead-letter reason of a batch record that does not decode. */
  public static final String UNDECODABLE_BATCH = "undecodable-batch";
  /** Dead-letter reason of a batch record that decodes but cannot be trained on ({@link TrainingInput#unusable}). */
  public static final String UNUSABLE_BATCH = "unusable-batch";

  /** Told of the learner's progress, on its thread: the seam where tests inject faults. */
  public interface Listener {
    Listener NONE = new Listener() {};

    /** Version {@code version} is checkpointed in {@code checkpoint} and not yet published. */
    default void checkpointed(long version, Path checkpoint) {}
  }

  /**
   * What the learner thread has published, for any other thread to read.
   *
   * @param version the newest version published, -1 before the first
   * @param updates updates since SFT
   * @param trainedSamples samples the loop has trained on
   * @param metrics the figures of the last update (empty before the first)
   * @param checkpoint the checkpoint of {@code version} ({@link LearnerCheckpoint}); null before the first.
   *     Older checkpoints are pruned as the learner goes on, except v1 (π_SFT) and the newest few.
   */
  public record Snapshot(long version, long updates, long trainedSamples, Map<String, Double> metrics,
      Path checkpoint) {
    static final Snapshot NONE = new Snapshot(-1, 0, 0, Map.of(), null);
  }

  private final LearnerConfig config;
  private final Topics topics;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final RunReporter reporter;
  private final Listener listener;
  private final TopicPartition batchesPartition;
  private final LearnerPublisher publisher;
  private final RunHistory history;
  private final BatchDecoder decoder;
  private final CheckpointStore checkpoints;
  /**
   * Batch records consumed so far, what the policy manifests advertise to the samplers' in-flight gate
   * (which counts the prompt records it sampled). Not the offset: the batching topology's transaction
   * markers take offsets too.
   */
  private long batchesRead;
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile Snapshot snapshot = Snapshot.NONE;
  private volatile boolean running = true;
  private volatile Throwable failure;
  private Learner learner;

  /**
   * @param consumer a read_committed consumer with the learner's group id, not subscribed (the
   *     service assigns the batches partition and seeks)
   * @param producer a transactional producer with the learner's transactional id, sized for weights
   * @param readers makes a fresh read_committed consumer with no group, for reading whole topics
   *     (demonstrations, manifests); the argument is a client id suffix
   */
  public LearnerService(LearnerConfig config, Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
      RunReporter reporter, Function<String, Consumer<byte[], byte[]>> readers, Listener listener) {
    this.config = config;
    this.topics = config.topics();
    this.consumer = consumer;
    this.producer = producer;
    this.reporter = reporter;
    this.listener = listener;
    this.batchesPartition = new TopicPartition(topics.batches.name(), 0);
    this.publisher = new LearnerPublisher(producer, config, batchesPartition);
    this.history = new RunHistory(topics, readers);
    this.decoder = new BatchDecoder(topics, reporter);
    this.checkpoints = new CheckpointStore(config.checkpoints());
  }

  /** A service with its clients made from {@code kafka}: the wiring every caller but unit tests wants. */
  public static LearnerService create(KafkaConnection kafka, LearnerConfig config) {
    return create(kafka, config, Listener.NONE);
  }

  /** As {@link #create(KafkaConnection, LearnerConfig)}, telling {@code listener} of its progress. */
  public static LearnerService create(KafkaConnection kafka, LearnerConfig config, Listener listener) {
    // Offsets are committed in the publishing transaction, never by the consumer.
    Map<String, Object> c = kafka.loopConsumerConfig(config.groupId(), "learner-batches", 500);
    Map<String, Object> p = new HashMap<>(kafka.transactionalProducerConfig(config.transactionalId()));
    p.putAll(WeightPublisher.producerOverrides());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "learner");
    var reporter = new RunReporter(new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer()), config.topics(), "learner");
    return new LearnerService(config,
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer()), reporter,
        id -> new KafkaConsumer<>(kafka.readerConfig(id), new ByteArrayDeserializer(), new ByteArrayDeserializer()),
        listener);
  }

  /** What the learner has published so far. */
  public Snapshot snapshot() {
    return snapshot;
  }

  /** The version last published, or -1 before the first. */
  public long version() {
    return snapshot.version();
  }

  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  @Override
  public void run() {
    try {
      producer.initTransactions(); // fences a previous learner of this run
      consumer.assign(List.of(batchesPartition));
      long offset = start();
      consumer.seek(batchesPartition, offset);
      loop(offset);
    } catch (WakeupException e) {
      if (running) {
        failure = e;
      }
    } catch (Exception e) {
      failure = e;
      log.error("learner stopped: {}", e.toString());
      reporter.event("failed", "learner stopped: " + e.getMessage(), Map.of());
      if (!(e instanceof RuntimeException re)) {
        throw new IllegalStateException(e);
      }
      throw re;
    } finally {
      closeClients();
      finished.countDown();
    }
  }

  /** Resumes or starts fresh; returns the batches offset to continue from. */
  private long start() throws IOException {
    Optional<Path> latest = latestCheckpoint();
    OffsetAndMetadata committedOffset = consumer.committed(Set.of(batchesPartition)).get(batchesPartition);
    long committed = committedOffset == null ? 0 : committedOffset.offset();
    if (latest.isPresent()) {
      return resume(latest.get(), committedOffset, committed);
    }
    if (config.baseModel() == null) {
      throw new IllegalArgumentException("no checkpoint in " + config.checkpoints()
          + " and no base model given: pass --base DIR (a model directory with config.json, model.safetensors, tokenizer.json)");
    }
    long published = history.latestVersion(ModelLines.POLICY);
    if (published >= 0) {
      throw new IllegalStateException("run '" + topics.runId() + "' already has policy v" + published
          + " from an earlier learner, but " + config.checkpoints() + " holds no checkpoint: keep that learner's"
          + " --checkpoints directory to resume it, or start a new --run");
    }
    batchesRead = CommittedRecords.of(committedOffset).records();
    learner = Learner.fresh(Policy.load(config.baseModel()), Tokenizer.load(config.baseModel()), config.recipe());
    reporter.event("stage", "sft: reading demonstrations", Map.of("stage", "sft"));
    List<Example> demos = history.demonstrations(learner, config.minDemonstrations(), config.demonstrationsWait(),
        () -> running);
    reporter.event("stage", "sft: " + demos.size() + " demonstrations, at most " + config.recipe().sftSteps()
        + " steps" + (config.recipe().sftTune() ? ", tuned by held-out NLL" : ""), Map.of("stage", "sft"));
    try (ProgressBar bar = ProgressBar.start("sft", (config.recipe().sftTune() ? Learner.GRID_STEPS + 1L : 1L) * config.recipe().sftSteps(),
        "steps")) {
      var sft = learner.sft(demos, bar::setDone);
      if (sft.last() != null) {
        reporter.metric("sft.loss", sft.last().loss(), 0, 1);
      }
      reporter.metric("sft.steps", sft.choice().steps(), 0, 1);
      reporter.metric("sft.lr", sft.choice().lr(), 0, 1);
      reporter.event("stage", "sft: " + sft.choice().describe(), Map.of("stage", "sft"));
    }
    Path checkpoint = checkpoint(committed);
    publisher.publishSft(learner, committed, batchesRead);
    published(Map.of(), checkpoint);
    reporter.event("stage", "loop: SFT done, policy v1 published", Map.of("stage", "loop", "version", "1"));
    return committed;
  }

  /** Restores the newest checkpoint, publishing it first if it died before doing so; returns the offset to go on from. */
  private long resume(Path latest, OffsetAndMetadata committedOffset, long committed) throws IOException {
    learner = Learner.load(latest, config.recipe());
    Map<String, Object> extra = LearnerCheckpoint.extra(latest);
    long offset = ((Number) extra.get(OFFSET_KEY)).longValue();
    // A checkpoint from before counts were kept: its offset is the best guess.
    batchesRead = ((Number) extra.getOrDefault(BATCHES_READ_KEY, offset)).longValue();
    log.info("resumed from {} (version {}, batches offset {}, committed {})", latest, learner.version(), offset,
        committed);
    reporter.event("resumed", "learner resumed at version " + learner.version(),
        Map.of("offset", Long.toString(offset), "committed", Long.toString(committed)));
    if (offset > committed) {
      // Died after the checkpoint, before its transaction committed: publish what it would have.
      List<ProducerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
      List<TrainingBatch> unpublished = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : history.records(batchesPartition, committed, offset)) {
        decoder.decode(r, learner, deadLetters).ifPresent(unpublished::add);
      }
      publish(unpublished, deadLetters, offset, Map.of("recovered", 1.0), latest);
    } else {
      published(Map.of(), latest);
      if (committed > offset) {
        // Past the checkpoint lie only records set aside: a commit of dead letters alone (no update)
        // moved the offset on. Going back to the checkpoint's offset would dead-letter them twice.
        batchesRead = CommittedRecords.of(committedOffset).records();
        return committed;
      }
    }
    return offset;
  }

  private void loop(long offset) throws IOException {
    List<TrainingBatch> pending = new ArrayList<>();
    // Batch records set aside (BatchDecoder), dead-lettered in the transaction of the update that reads past them.
    List<ProducerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
    long pendingEnd = offset;
    long pendingRecords = 0;
    long lastArrival = System.nanoTime();
    int maxUpdates = config.recipe().maxUpdates();
    while (running && (maxUpdates == 0 || learner.updates() < maxUpdates)) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        pendingEnd = r.offset() + 1;
        pendingRecords++;
        lastArrival = System.nanoTime();
        decoder.decode(r, learner, deadLetters).ifPresent(pending::add);
        if (pending.size() >= config.recipe().promptsPerUpdate()) {
          update(pending, deadLetters, pendingEnd, pendingRecords);
          pending = new ArrayList<>();
          deadLetters = new ArrayList<>();
          pendingRecords = 0;
          if (maxUpdates > 0 && learner.updates() >= maxUpdates) {
            break;
          }
        }
      }
      boolean idle = !config.idleFlush().isZero()
          && System.nanoTime() - lastArrival > config.idleFlush().toNanos();
      if (!pending.isEmpty() && idle) {
        update(pending, deadLetters, pendingEnd, pendingRecords);
        pending = new ArrayList<>();
        deadLetters = new ArrayList<>();
        pendingRecords = 0;
      } else if (pending.isEmpty() && !deadLetters.isEmpty() && idle) {
        // Only bad records since the last update: set them aside now rather than with the next update,
        // which may never come (the end of a run).
        publisher.setAside(deadLetters, pendingEnd, batchesRead + pendingRecords);
        batchesRead += pendingRecords;
        deadLetters = new ArrayList<>();
        pendingRecords = 0;
      }
    }
    if (maxUpdates > 0 && learner.updates() >= maxUpdates) {
      reporter.event("stage", "done: " + maxUpdates + " updates", Map.of("stage", "done"));
    }
  }

  private void update(List<TrainingBatch> batches, List<ProducerRecord<byte[], byte[]>> deadLetters, long offsetAfter,
      long records) throws IOException {
    long t0 = System.nanoTime();
    Learner.UpdateResult result = learner.update(batches);
    batchesRead += records;
    Path checkpoint = checkpoint(offsetAfter);
    listener.checkpointed(result.version(), checkpoint);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Double> metrics = new LinkedHashMap<>(result.metrics());
    metrics.put("learner.update_seconds", seconds);
    long samples = batches.stream().mapToLong(b -> b.getSamples().size()).sum();
    metrics.put("learner.samples_per_s", samples / Math.max(1e-9, seconds));
    publish(batches, deadLetters, offsetAfter, metrics, checkpoint);
    // Keeps v1 (π_SFT, the baseline every comparison starts from) and the newest.
    checkpoints.prune(config.checkpointsKept(), Set.of(1L));
  }

  /** Checkpoints the learner as it is now, with the batches offset it has read up to. */
  private Path checkpoint(long offset) throws IOException {
    Map<String, Object> extra = Map.of(OFFSET_KEY, offset, BATCHES_READ_KEY, batchesRead);
    Path previous = latestCheckpoint().orElse(null); // the run's: its frozen models are this learner's
    return checkpoints.write(learner.version(), dir -> learner.save(dir, extra, previous));
  }

  private void publish(List<TrainingBatch> batches, List<ProducerRecord<byte[], byte[]>> deadLetters, long offsetAfter,
      Map<String, Double> metrics, Path checkpoint) throws IOException {
    long v = learner.version();
    publisher.publishUpdate(learner, checkpoint, batches, deadLetters, offsetAfter, batchesRead);
    metrics.forEach((k, value) -> reporter.metric(k, value, learner.updates(), v));
    reporter.metric("learner.policy_version", v, learner.updates(), v);
    reporter.event("version-published", "policy and reward v" + v, Map.of("version", Long.toString(v)));
    published(metrics, checkpoint);
  }

  private void published(Map<String, Double> metrics, Path checkpoint) {
    snapshot = new Snapshot(learner.version(), learner.updates(), learner.trainedSamples(), Map.copyOf(metrics),
        checkpoint);
  }

  private Optional<Path> latestCheckpoint() throws IOException {
    List<Long> versions = new ArrayList<>(checkpoints.versions());
    versions.removeIf(v -> !Files.exists(checkpoints.directory(v).resolve(LearnerCheckpoint.STATE_FILE)));
    return versions.isEmpty() ? Optional.empty() : Optional.of(checkpoints.directory(versions.get(versions.size() - 1)));
  }

  private void closeClients() {
    reporter.close();
    Transactions.close(consumer, producer);
  }

  /** Blocks until {@link #run()} has returned. */
  public boolean awaitFinished(Duration timeout) throws InterruptedException {
    return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    awaitFinished(Duration.ofSeconds(30));
    if (learner != null) {
      learner.close();
    }
  }
}
