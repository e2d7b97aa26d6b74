package io.alignstream.learner;

import io.alignstream.console.ProgressBar;
import io.alignstream.model.Example;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.runtime.RunReporter;
import io.alignstream.runtime.TransactionalLoop;
import io.alignstream.runtime.WeightPublisher;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import io.alignstream.broker.KafkaConnection;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learner service: SFT on the run's demonstrations, then continuous updates from training
 * batches, each one checkpointed locally and published through Kafka.
 *
 * <p>Exactly once, across crashes: an update is first checkpointed (weights, optimisers, pools and
 * the batches offset after it), then published in one producer transaction together with that
 * offset (committed for the learner's group) and the next round's prompts. On start the learner
 * resumes from its newest checkpoint; if that checkpoint is ahead of the committed offset (it died
 * between the two), it republishes the checkpoint's version and the prompts of the batches in
 * between before going on. So no batch is applied twice or skipped, and versions only increase.
 *
 * <p>The clients are created by the caller (so tests can wire them) and owned by the service.
 */
public final class LearnerService implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LearnerService.class);
  private static final Pattern CHECKPOINT = Pattern.compile("v(\\d{6,})");
  static final String OFFSET_KEY = "batchesOffset";
  /** Batch records read (trained, or skipped as undecodable) up to OFFSET_KEY: offsets are not a count. */
  static final String BATCHES_READ_KEY = "batchesRead";
  /**
   * Fault injection for the resume tests: halt the JVM right after checkpointing this version,
   * before publishing it (the one moment where checkpoint and Kafka disagree). Unset in production.
   */
  static final String HALT_AFTER_CHECKPOINT = "alignstream.learner.haltAfterCheckpoint";
  /** Dead-letter reason of a batch record that does not decode. */
  public static final String UNDECODABLE_BATCH = "undecodable-batch";
  /** Dead-letter reason of a batch record that decodes but cannot be trained on ({@link Learner#unusable}). */
  public static final String UNUSABLE_BATCH = "unusable-batch";

  private final LearnerConfig config;
  private final Topics topics;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final RunReporter reporter;
  private final Function<String, Consumer<byte[], byte[]>> readers;
  private final TopicPartition batchesPartition;
  /**
   * Batch records consumed so far, what the policy manifests advertise to the samplers' in-flight gate
   * (which counts the prompt records it sampled). Not the offset: the batching topology's transaction
   * markers take offsets too.
   */
  private long batchesRead;
  private final CountDownLatch finished = new CountDownLatch(1);
  private final AtomicLong version = new AtomicLong(-1);
  private volatile boolean running = true;
  private volatile Throwable failure;
  private volatile Map<String, Double> lastMetrics = Map.of();
  private Learner learner;

  /**
   * @param consumer a read_committed consumer with the learner's group id, not subscribed (the
   *     service assigns the batches partition and seeks)
   * @param producer a transactional producer with the learner's transactional id, sized for weights
   * @param readers makes a fresh read_committed consumer with no group, for reading whole topics
   *     (demonstrations, manifests); the argument is a client id suffix
   */
  public LearnerService(LearnerConfig config, Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
      RunReporter reporter, Function<String, Consumer<byte[], byte[]>> readers) {
    this.config = config;
    this.topics = config.topics();
    this.consumer = consumer;
    this.producer = producer;
    this.reporter = reporter;
    this.readers = readers;
    this.batchesPartition = new TopicPartition(topics.batches.name(), 0);
  }

  /** A service with its clients made from {@code kafka}: the wiring every caller but unit tests wants. */
  public static LearnerService create(KafkaConnection kafka, LearnerConfig config) {
    // Offsets are committed in the publishing transaction, never by the consumer.
    Map<String, Object> c = kafka.loopConsumerConfig(config.groupId(), "learner-batches", 500);
    Map<String, Object> p = new java.util.HashMap<>(kafka.transactionalProducerConfig(config.transactionalId()));
    p.putAll(WeightPublisher.producerOverrides());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "learner");
    var reporter = new RunReporter(new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer()), config.topics(), "learner");
    return new LearnerService(config,
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer()), reporter,
        id -> new KafkaConsumer<>(kafka.readerConfig(id), new ByteArrayDeserializer(), new ByteArrayDeserializer()));
  }

  /** The version last checkpointed, or -1 before the first. */
  public long version() {
    return version.get();
  }

  /** The learner, once started; for in-process callers that evaluate it (the demo). */
  public Optional<Learner> learner() {
    return Optional.ofNullable(learner);
  }

  /** The figures of the last update (empty before the first), for in-process progress displays. */
  public Map<String, Double> lastMetrics() {
    return lastMetrics;
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
    Optional<OffsetAndMetadata> committedOffset =
        Optional.ofNullable(consumer.committed(java.util.Set.of(batchesPartition)).get(batchesPartition));
    long committed = committedOffset.map(OffsetAndMetadata::offset).orElse(0L);
    if (latest.isPresent()) {
      learner = Learner.load(latest.get(), config.recipe());
      Map<String, Object> extra = Learner.savedExtra(latest.get());
      long offset = ((Number) extra.get(OFFSET_KEY)).longValue();
      // A checkpoint from before counts were kept: its offset is the best guess.
      batchesRead = ((Number) extra.getOrDefault(BATCHES_READ_KEY, offset)).longValue();
      version.set(learner.version());
      log.info("resumed from {} (version {}, batches offset {}, committed {})", latest.get(), learner.version(),
          offset, committed);
      reporter.event("resumed", "learner resumed at version " + learner.version(),
          Map.of("offset", Long.toString(offset), "committed", Long.toString(committed)));
      if (offset > committed) {
        // Died after the checkpoint, before its transaction committed: publish what it would have.
        List<ProducerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
        List<TrainingBatch> unpublished = readBatches(committed, offset, deadLetters);
        publish(unpublished, deadLetters, offset, Map.of("recovered", 1.0), latest.get());
      } else if (committed > offset) {
        // Past the checkpoint lie only records set aside: a commit of dead letters alone (no update)
        // moved the offset on. Going back to the checkpoint's offset would dead-letter them twice.
        batchesRead = committedOffset.map(TransactionalLoop::recordsCommitted).orElse(batchesRead);
        return committed;
      }
      return offset;
    }
    if (config.baseModel() == null) {
      throw new IllegalArgumentException("no checkpoint in " + config.checkpoints()
          + " and no base model given: pass --base DIR (a model directory with config.json, model.safetensors, tokenizer.json)");
    }
    long published = latestPublishedVersion(ModelLines.POLICY);
    if (published >= 0) {
      throw new IllegalStateException("run '" + topics.runId() + "' already has policy v" + published
          + " from an earlier learner, but " + config.checkpoints() + " holds no checkpoint: keep that learner's"
          + " --checkpoints directory to resume it, or start a new --run");
    }
    batchesRead = committedOffset.map(TransactionalLoop::recordsCommitted).orElse(0L);
    Tokenizer tokenizer = Tokenizer.load(config.baseModel());
    learner = Learner.fresh(Policy.load(config.baseModel()), tokenizer, config.recipe());
    reporter.event("stage", "sft: reading demonstrations", Map.of("stage", "sft"));
    List<Example> demos = readDemonstrations();
    reporter.event("stage", "sft: " + demos.size() + " demonstrations, " + config.recipe().sftSteps() + " steps",
        Map.of("stage", "sft"));
    try (ProgressBar bar = ProgressBar.start("sft", config.recipe().sftSteps(), "steps")) {
      var stats = learner.sft(demos, step -> {
        bar.setDone(step);
      });
      if (stats != null) {
        reporter.metric("sft.loss", stats.loss(), 0, 1);
      }
    }
    learner.save(checkpointDir(learner.version()), Map.of(OFFSET_KEY, committed, BATCHES_READ_KEY, batchesRead));
    version.set(learner.version());
    producer.beginTransaction();
    try {
      var publisher = new WeightPublisher(producer, topics);
      // Frozen lines for the Init-SFT / SFT-Demo reward-model recipes' samplers.
      byte[] sft = learner.policy().weightsToBytes();
      publishModel(publisher, ModelLines.BASE, 0, learner.base(), learner.base().weightsToBytes(), baseMetadata());
      publishModel(publisher, ModelLines.SFT, 1, learner.policy(), sft, Map.of("stage", "sft"));
      publishModel(publisher, ModelLines.POLICY, 1, learner.policy(), sft, progress("sft", committed));
      publishReward(publisher, 1, learner.reward().weightsToBytes());
      producer.sendOffsetsToTransaction(Map.of(batchesPartition, TransactionalLoop.committedOffset(committed, batchesRead)),
          new ConsumerGroupMetadata(config.groupId()));
      producer.commitTransaction();
    } catch (RuntimeException e) {
      producer.abortTransaction();
      throw e;
    }
    reporter.event("stage", "loop: SFT done, policy v1 published", Map.of("stage", "loop", "version", "1"));
    return committed;
  }

  private void loop(long offset) throws IOException {
    List<TrainingBatch> pending = new ArrayList<>();
    // Batch records set aside (see decode), dead-lettered in the transaction of the update that reads past them.
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
        decode(r, deadLetters).ifPresent(pending::add);
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
        commitSetAside(deadLetters, pendingEnd, pendingRecords);
        deadLetters = new ArrayList<>();
        pendingRecords = 0;
      }
    }
    if (maxUpdates > 0 && learner.updates() >= maxUpdates) {
      reporter.event("stage", "done: " + maxUpdates + " updates", Map.of("stage", "done"));
    }
  }

  /**
   * The batch a record holds, or empty: a tombstone, or a record that does not decode or cannot be
   * trained on, which is added to {@code deadLetters} with the reason.
   */
  private Optional<TrainingBatch> decode(ConsumerRecord<byte[], byte[]> r, List<ProducerRecord<byte[], byte[]>> deadLetters) {
    TrainingBatch batch;
    try {
      batch = topics.batches.value(r);
    } catch (SerializationException e) {
      return setAside(r, UNDECODABLE_BATCH, e.getMessage(), deadLetters);
    }
    Optional<String> unusable = batch == null ? Optional.empty() : learner.unusable(batch);
    return unusable.isPresent() ? setAside(r, UNUSABLE_BATCH, unusable.get(), deadLetters) : Optional.ofNullable(batch);
  }

  private Optional<TrainingBatch> setAside(ConsumerRecord<byte[], byte[]> r, String reason, String message,
      List<ProducerRecord<byte[], byte[]>> deadLetters) {
    log.warn("dead-lettering batch at offset {} ({}): {}", r.offset(), reason, message);
    reporter.metric("learner.dead_lettered_batches", 1, learner.updates(), learner.version());
    deadLetters.add(DeadLetters.of(topics, r, reason, message));
    return Optional.empty();
  }

  /**
   * One transaction with the dead letters and the offset past them, no update and no new version. The
   * checkpoint keeps its offset; {@link #start} resumes from the committed one when it is further on.
   */
  private void commitSetAside(List<ProducerRecord<byte[], byte[]>> deadLetters, long offsetAfter, long records) {
    producer.beginTransaction();
    try {
      deadLetters.forEach(producer::send);
      producer.sendOffsetsToTransaction(
          Map.of(batchesPartition, TransactionalLoop.committedOffset(offsetAfter, batchesRead + records)),
          new ConsumerGroupMetadata(config.groupId()));
      producer.commitTransaction();
    } catch (RuntimeException e) {
      producer.abortTransaction();
      throw e;
    }
    batchesRead += records;
  }

  private void update(List<TrainingBatch> batches, List<ProducerRecord<byte[], byte[]>> deadLetters, long offsetAfter,
      long records) throws IOException {
    long t0 = System.nanoTime();
    Learner.UpdateResult result = learner.update(batches);
    batchesRead += records;
    Path checkpoint = checkpointDir(result.version());
    learner.save(checkpoint, Map.of(OFFSET_KEY, offsetAfter, BATCHES_READ_KEY, batchesRead));
    if (Long.getLong(HALT_AFTER_CHECKPOINT, -1) == result.version()) {
      log.warn("halting after checkpoint v{} as asked by -D{}", result.version(), HALT_AFTER_CHECKPOINT);
      Runtime.getRuntime().halt(137);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Double> metrics = new LinkedHashMap<>(result.metrics());
    metrics.put("learner.update_seconds", seconds);
    long samples = batches.stream().mapToLong(b -> b.getSamples().size()).sum();
    metrics.put("learner.samples_per_s", samples / Math.max(1e-9, seconds));
    publish(batches, deadLetters, offsetAfter, metrics, checkpoint);
    lastMetrics = Map.copyOf(metrics);
    version.set(result.version());
    pruneCheckpoints();
  }

  /**
   * One transaction: the learner's current weights, the next round's prompts, the dead letters of the
   * records it could not decode or use, and the offset. The weights are taken from {@code checkpoint},
   * the learner's state just saved: the same bytes as encoding the models again (one encoder), without
   * paying for it on every update.
   */
  private void publish(List<TrainingBatch> batches, List<ProducerRecord<byte[], byte[]>> deadLetters, long offsetAfter,
      Map<String, Double> metrics, Path checkpoint) throws IOException {
    long v = learner.version();
    byte[] policy = Learner.savedPolicyBytes(checkpoint);
    byte[] reward = Learner.savedRewardBytes(checkpoint);
    producer.beginTransaction();
    try {
      var publisher = new WeightPublisher(producer, topics);
      publishModel(publisher, ModelLines.POLICY, v, learner.policy(), policy, progress("loop", offsetAfter));
      publishReward(publisher, v, reward);
      for (TrainingBatch b : batches) {
        nextRound(b).ifPresent(p -> producer.send(topics.prompts.record(p.getPromptId(), p)));
      }
      deadLetters.forEach(producer::send);
      producer.sendOffsetsToTransaction(Map.of(batchesPartition, TransactionalLoop.committedOffset(offsetAfter, batchesRead)),
          new ConsumerGroupMetadata(config.groupId()));
      producer.commitTransaction();
    } catch (RuntimeException e) {
      producer.abortTransaction();
      throw e;
    }
    metrics.forEach((k, value) -> reporter.metric(k, value, learner.updates(), v));
    reporter.metric("learner.policy_version", v, learner.updates(), v);
    reporter.event("version-published", "policy and reward v" + v, Map.of("version", Long.toString(v)));
  }

  /**
   * π_0's manifest also records the recipe, so that {@code alignstream replay} finds the recorded run's
   * settings in the same transaction as its starting weights.
   */
  private Map<String, String> baseMetadata() {
    Map<String, String> m = new LinkedHashMap<>(config.recipe().toMetadata());
    m.put("stage", "base");
    return m;
  }

  /**
   * What a policy manifest tells the samplers besides the weights: how many batches the learner has
   * consumed (and up to which offset) and how many make an update, so they can bound what they sample
   * ahead of it.
   */
  private Map<String, String> progress(String stage, long batchesOffset) {
    return Map.of("stage", stage, ModelLines.BATCHES_CONSUMED, Long.toString(batchesRead),
        ModelLines.BATCHES_OFFSET, Long.toString(batchesOffset),
        ModelLines.PROMPTS_PER_UPDATE, Integer.toString(config.recipe().promptsPerUpdate()));
  }

  /** The prompt of a batch, one round later, unless its rounds are done. */
  private Optional<Prompt> nextRound(TrainingBatch b) {
    if (b.getRound() + 1 >= config.recipe().rounds() || b.getSamples().isEmpty()) {
      return Optional.empty();
    }
    ScoredSample any = b.getSamples().get(0);
    String demoId = b.getSamples().stream().filter(s -> s.getKind() == SampleKind.DEMONSTRATION)
        .map(ScoredSample::getId).findFirst().orElse(null);
    return Optional.of(Prompt.newBuilder().setPromptId(b.getPromptId()).setText(any.getPrompt())
        .setRound(b.getRound() + 1).setDemonstrationId(demoId).setCreatedAtMs(System.currentTimeMillis()).build());
  }

  /** Publishes {@code weights}, which are {@code model}'s {@code weightsToBytes()}, with its config. */
  private void publishModel(WeightPublisher publisher, String line, long v, Policy model, byte[] weights,
      Map<String, String> meta) {
    publisher.publish(line, v, weights, configJson(model.config()), tokenizerJson(), learner.trainedSamples(), meta);
  }

  private void publishReward(WeightPublisher publisher, long v, byte[] weights) {
    var reward = learner.reward();
    publisher.publish(ModelLines.REWARD, v, weights, configJson(reward.members().get(0).config()),
        tokenizerJson(), learner.trainedSamples(), Map.of("members", Integer.toString(reward.size())));
  }

  private String tokenizerJsonCache;

  private String tokenizerJson() {
    if (tokenizerJsonCache == null) {
      try {
        tokenizerJsonCache = learner.tokenizer().toJson();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return tokenizerJsonCache;
  }

  private static String configJson(ModelConfig config) {
    return config.toJson();
  }


  /** Every demonstration in the run, tokenized; waits for {@code minDemonstrations}. */
  private List<Example> readDemonstrations() {
    long deadline = System.nanoTime() + config.demonstrationsWait().toNanos();
    Map<String, Example> byId = new LinkedHashMap<>();
    int skipped = 0;
    try (Consumer<byte[], byte[]> reader = readers.apply("learner-demonstrations")) {
      List<TopicPartition> parts = new ArrayList<>();
      for (int p = 0; p < topics.demonstrations.partitions(); p++) {
        parts.add(new TopicPartition(topics.demonstrations.name(), p));
      }
      reader.assign(parts);
      reader.seekToBeginning(parts);
      while (true) {
        Map<TopicPartition, Long> end = reader.endOffsets(parts);
        while (parts.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
          for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
            try {
              Demonstration d = topics.demonstrations.value(r);
              Example e = d == null ? null : learner.demonstration(d.getPrompt(), d.getResponse());
              if (e == null) {
                skipped++;
              } else {
                byId.put(d.getId(), e);
              }
            } catch (SerializationException ex) {
              skipped++;
            }
          }
        }
        if (byId.size() >= config.minDemonstrations()) {
          break;
        }
        if (System.nanoTime() > deadline || !running) {
          throw new IllegalStateException("only " + byId.size() + " demonstrations in run '" + topics.runId()
              + "' after " + config.demonstrationsWait().toSeconds() + " s (need " + config.minDemonstrations()
              + "): stream some in with 'alignstream produce --run " + topics.runId() + " FILE'");
        }
        sleep(500);
      }
    }
    if (skipped > 0) {
      log.warn("{} demonstrations skipped: too long for the context or undecodable", skipped);
    }
    // Ordered by id, not by arrival: the same demonstrations give the same SFT run.
    var ids = new ArrayList<>(byId.keySet());
    ids.sort(null);
    return ids.stream().map(byId::get).toList();
  }

  /** The batches in [from, to), adding the records it sets aside (see decode) to {@code deadLetters}. */
  private List<TrainingBatch> readBatches(long from, long to, List<ProducerRecord<byte[], byte[]>> deadLetters) {
    List<TrainingBatch> out = new ArrayList<>();
    try (Consumer<byte[], byte[]> reader = readers.apply("learner-recovery")) {
      reader.assign(List.of(batchesPartition));
      reader.seek(batchesPartition, from);
      while (reader.position(batchesPartition) < to) {
        for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
          if (r.offset() < to) {
            decode(r, deadLetters).ifPresent(out::add);
          }
        }
      }
    }
    return out;
  }

  private long latestPublishedVersion(String line) {
    var tp = new TopicPartition(topics.modelVersions.name(), 0);
    long latest = -1;
    try (Consumer<byte[], byte[]> reader = readers.apply("learner-versions")) {
      reader.assign(List.of(tp));
      reader.seekToBeginning(List.of(tp));
      long end = reader.endOffsets(List.of(tp)).get(tp);
      while (reader.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
          try {
            ModelVersion m = topics.modelVersions.value(r);
            if (m != null && m.getModelName().equals(line)) {
              latest = Math.max(latest, m.getVersion());
            }
          } catch (SerializationException e) {
            // a corrupt manifest says nothing about versions
          }
        }
      }
    }
    return latest;
  }

  Path checkpointDir(long v) {
    return config.checkpoints().resolve(String.format("v%06d", v));
  }

  private Optional<Path> latestCheckpoint() throws IOException {
    return checkpoints().stream().reduce((a, b) -> b);
  }

  private List<Path> checkpoints() throws IOException {
    if (!Files.isDirectory(config.checkpoints())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(config.checkpoints())) {
      return s.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches())
          .filter(p -> Files.exists(p.resolve("learner.json")))
          .sorted().toList();
    }
  }

  /** Keeps the newest checkpoints and v1 (π_SFT, the baseline every comparison starts from). */
  private void pruneCheckpoints() throws IOException {
    List<Path> all = checkpoints();
    for (int i = 0; i < all.size() - config.checkpointsKept(); i++) {
      if (!all.get(i).equals(checkpointDir(1))) {
        Learner.deleteRecursively(all.get(i));
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private void closeClients() {
    reporter.close();
    try {
      consumer.close(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      log.debug("consumer close: {}", e.toString());
    }
    try {
      producer.close(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      log.debug("producer close: {}", e.toString());
    }
  }

  /** Blocks until {@link #run()} has returned. */
  public boolean awaitFinished(Duration timeout) throws InterruptedException {
    return finished.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
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
