package io.alignstream.sampler;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.runtime.CommittedRecords;
import io.alignstream.runtime.RunReporter;
import io.alignstream.runtime.TransactionalLoop;
import io.alignstream.runtime.WeightSubscriber;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sampler replica: answers every prompt of its consumer group's share K times with the current
 * policy and publishes each answer as a {@link io.alignstream.schemas.Generation} carrying the exact policy version and the
 * per-token behaviour log-probs, exactly once.
 *
 * <p>How:
 * <ul>
 *   <li>Prompts are consumed in group {@link SamplerConfig#groupId()}: replicas of one line split the
 *       partitions; a "base" or "sft" line reads the same prompts independently.</li>
 *   <li>Start-up waits (up to {@code weightsTimeout}) for the first version of the model line from the
 *       weight topics, then hot-swaps every later version (see {@link LivePolicy}).</li>
 *   <li>Each batch of up to promptsPerBatch prompts becomes one generate call of prompts × K rows at one
 *       policy version; the generations and the prompts' offsets commit in one transaction
 *       ({@link TransactionalLoop}); any failure aborts and redoes the batch.</li>
 *   <li>Undecodable prompt records, and prompts that do not fit the context with maxNewTokens, are
 *       dead-lettered with their reason in the batch's transaction, counted (a metric; an event for each
 *       prompt too long) and committed past; the in-flight gate does not count them as sampled.</li>
 *   <li>Pacing ({@link Pacer}): after maxPromptsPerVersion prompts at one version, the prompt partitions
 *       are paused (the member keeps polling, so it stays in the group) until a newer version loads.</li>
 * </ul>
 *
 * <p>Lifecycle: {@link #run()} blocks until {@link #close()} (from another thread) or a fatal error;
 * {@link #close()} finishes or aborts the batch in progress, leaves the group and frees every client
 * and native resource. It is idempotent.
 */
public final class SamplerService implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SamplerService.class);
  /** How fast a paused replica notices a new version, and a closing one its close. */
  private static final Duration POLL = Duration.ofMillis(200);
  /**
   * Generation happens before the transaction begins, so a transaction only spans sends and the commit
   * (milliseconds). A short time-out (Kafka Streams' EOS default) bounds how long the open transaction of
   * a replica that crashed, and restarts under a new id, blocks read_committed readers of generations.
   */
  private static final int TRANSACTION_TIMEOUT_MS = 10_000;
  private static final Duration PARTIAL_WEIGHTS_TIMEOUT = Duration.ofMinutes(2);

  private final SamplerConfig config;
  private final Topics topics;
  private final RunReporter reporter;
  private final LivePolicy live;
  private final WeightSubscriber subscriber;
  private final TransactionalLoop loop;
  private final Pacer pacer;
  private final InFlightGate gate;
  private final Admin admin;
  private final Object lifecycle = new Object();
  private boolean loopStarted; // guarded by lifecycle
  private boolean closing; // guarded by lifecycle
  private volatile boolean closed;

  private final AtomicLong prompts = new AtomicLong();
  private final AtomicLong generations = new AtomicLong();
  private final AtomicLong undecodable = new AtomicLong();
  private final AtomicLong tooLong = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();

  /** Builds the replica's Kafka clients on {@code connection}; nothing is consumed before {@link #run()}. */
  public SamplerService(SamplerConfig config, KafkaConnection connection) {
    this.config = config;
    this.topics = config.topics();
    this.pacer = new Pacer(config.maxPromptsPerVersion());
    this.gate = new InFlightGate(config.maxLag());
    this.admin = connection.admin();
    this.reporter = new RunReporter(new KafkaProducer<>(connection.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer()), topics, config.samplerId());
    this.live = new LivePolicy(config.policyName(), this::onVersionLoaded);
    this.subscriber = new WeightSubscriber(weightConsumer(connection), topics, Set.of(config.policyName()), live,
        PARTIAL_WEIGHTS_TIMEOUT);
    this.loop = new TransactionalLoop(promptConsumer(connection), transactionalProducer(connection),
        List.of(topics.prompts.name()), new Step(), POLL);
  }

  private KafkaConsumer<byte[], byte[]> promptConsumer(KafkaConnection connection) {
    return new KafkaConsumer<>(connection.loopConsumerConfig(config.groupId(), config.samplerId() + "-prompts", config.promptsPerBatch()),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The subscriber assigns partitions itself: read_committed and no group. */
  private KafkaConsumer<byte[], byte[]> weightConsumer(KafkaConnection connection) {
    return new KafkaConsumer<>(connection.readerConfig(config.samplerId() + "-weights"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  private KafkaProducer<byte[], byte[]> transactionalProducer(KafkaConnection connection) {
    return new KafkaProducer<>(connection.loopProducerConfig(config.transactionalId(), config.samplerId() + "-generations",
        Duration.ofMillis(TRANSACTION_TIMEOUT_MS)), new ByteArraySerializer(), new ByteArraySerializer());
  }

  public SamplerConfig config() {
    return config;
  }

  /** Policy version in use, or -1 before the first. */
  public long policyVersion() {
    return live.version();
  }

  /** Prompts sampled (committed). */
  public long promptsSampled() {
    return prompts.get();
  }

  /** Generations published (committed). */
  public long generationsPublished() {
    return generations.get();
  }

  /** Prompt records that did not decode. */
  public long undecodablePrompts() {
    return undecodable.get();
  }

  /** Prompts skipped because they do not fit the context. */
  public long tooLongPrompts() {
    return tooLong.get();
  }

  /** Whether consumption is paused by pacing. */
  public boolean paused() {
    return loop.paused();
  }

  /**
   * Waits for the first weights, then samples until {@link #close()}.
   *
   * @throws IllegalStateException when no weights arrive within {@code weightsTimeout}
   * @throws TransactionalLoop.FatalException when the producer is fenced or otherwise unusable
   */
  @Override
  public void run() {
    reporter.event("replica-started", "sampler " + config.samplerId() + " started for line " + config.policyName(),
        Map.of("samplerId", config.samplerId(), "policyName", config.policyName(), "group", config.groupId(),
            "transactionalId", config.transactionalId(),
            "samplesPerPrompt", Integer.toString(config.samplesPerPrompt()),
            "maxPromptsPerVersion", Integer.toString(config.maxPromptsPerVersion())));
    subscriber.start();
    if (!awaitFirstWeights()) {
      return; // closed while waiting
    }
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
      loopStarted = true;
    }
    log.info("sampler {} samples line {} from v{} (group {}, K={}, {} prompts per batch, pacing {})",
        config.samplerId(), config.policyName(), live.version(), config.groupId(), config.samplesPerPrompt(),
        config.promptsPerBatch(), config.paced() ? config.maxPromptsPerVersion() + " prompts/version" : "off");
    loop.run();
  }

  private boolean awaitFirstWeights() {
    long deadline = System.nanoTime() + config.weightsTimeout().toNanos();
    while (!live.ready()) {
      synchronized (lifecycle) {
        if (closing) {
          return false;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no weights of model line '" + config.policyName() + "' arrived on "
            + topics.modelVersions.name() + " within " + config.weightsTimeout()
            + ": start the learner (it publishes version 0) or publish initial weights, or raise --weights-timeout"
            + (subscriber.lastRejection().isEmpty() ? "" : "; last rejection: " + subscriber.lastRejection()));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private void onVersionLoaded(long version) {
    log.info("{}: {} v{} loaded", config.samplerId(), config.policyName(), version);
    reporter.event("version-loaded", config.policyName() + " v" + version + " loaded",
        Map.of("samplerId", config.samplerId(), "policyName", config.policyName(), "version", Long.toString(version)));
    reporter.metric("sampler.policy_version", version, batches.get(), version);
  }

  /** Pacing and reporting around {@link BatchSampler}; all methods run on the loop thread. */
  private final class Step implements TransactionalLoop.Processor {
    private final BatchSampler sampler = new BatchSampler(config);
    private BatchSampler.Outcome pending; // of the batch in progress, reported once it commits

    private long sampledFetched;
    private long sampledSinceFetch;
    private long fetchedAtNanos;

    @Override
    public int capacity() {
      int budget = Math.min(config.promptsPerBatch(), pacer.remaining(live.version()));
      if (budget == 0 || !gate.enabled()) {
        return budget;
      }
      return (int) Math.min(budget, gate.remaining(sampledPrompts(), live.metadata()));
    }

    /**
     * Prompts the whole line has sampled: the record counts its group committed with its offsets on the
     * prompt topic (not the offsets: ingest's transaction markers take offsets too, and counting them
     * made the gate hold the samplers back for work that never existed), less the records it
     * dead-lettered (the learner never trains those, and counting them narrowed the gate for good),
     * read at most twice a second, plus this replica's commits since.
     */
    private long sampledPrompts() {
      if (System.nanoTime() - fetchedAtNanos > 500_000_000L) {
        try {
          long sum = 0;
          for (var e : admin.listConsumerGroupOffsets(config.groupId()).partitionsToOffsetAndMetadata()
              .get(2, java.util.concurrent.TimeUnit.SECONDS).entrySet()) {
            if (e.getKey().topic().equals(topics.prompts.name()) && e.getValue() != null) {
              sum += CommittedRecords.of(e.getValue()).processed();
            }
          }
          sampledFetched = sum;
          sampledSinceFetch = 0;
        } catch (Exception e) {
          log.debug("{}: could not read the group's offsets ({}); using the last count", config.samplerId(), e.toString());
          if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
          }
        }
        fetchedAtNanos = System.nanoTime();
      }
      return sampledFetched + sampledSinceFetch;
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> process(List<ConsumerRecord<byte[], byte[]>> batch) {
      pending = null;
      BatchSampler.Result result = sampler.sample(batch, live.policy(), live.tokenizer());
      pending = result.outcome();
      return result.records();
    }

    @Override
    public long setAside(TopicPartition partition) {
      return pending == null ? 0 : pending.setAside().getOrDefault(partition, 0L);
    }

    @Override
    public void onCommitted(List<ConsumerRecord<byte[], byte[]>> batch, List<ProducerRecord<byte[], byte[]>> sent) {
      BatchSampler.Outcome o = pending;
      pending = null;
      // The group's committed counts leave out what was dead-lettered; so does this replica's.
      sampledSinceFetch += batch.size() - (o == null ? 0 : o.setAside().values().stream().mapToLong(Long::longValue).sum());
      if (o == null) {
        return;
      }
      long step = batches.incrementAndGet();
      long version = o.prompts() > 0 ? o.version() : live.version();
      // Counted on commit, not when seen: an aborted batch is redone and would count them twice.
      undecodable.addAndGet(o.undecodable().size());
      if (!o.undecodable().isEmpty()) {
        reporter.metric("sampler.undecodable_prompts", undecodable.get(), step, version);
      }
      for (String s : o.tooLong()) {
        tooLong.incrementAndGet();
        reporter.event("prompt-too-long", "prompt " + s + " does not fit the context with "
            + config.sampling().maxNewTokens() + " new tokens; skipped", Map.of("samplerId", config.samplerId(), "prompt", s));
      }
      if (!o.tooLong().isEmpty()) {
        reporter.metric("sampler.prompts_too_long", tooLong.get(), step, version);
      }
      if (o.prompts() == 0) {
        return;
      }
      pacer.record(o.version(), o.prompts());
      prompts.addAndGet(o.prompts());
      generations.addAndGet(o.rows());
      double seconds = Math.max(1e-9, o.nanos() / 1e9);
      reporter.metric("sampler.generations_per_s", o.rows() / seconds, step, o.version());
      reporter.metric("sampler.tokens_per_s", o.tokens() / seconds, step, o.version());
      reporter.metric("sampler.batch_latency_ms", o.nanos() / 1e6, step, o.version());
      reporter.metric("sampler.policy_version", o.version(), step, o.version());
      reporter.metric("sampler.prompts", prompts.get(), step, o.version());
      log.debug("{}: {} prompts × {} at v{} in {} ms ({} tokens)", config.samplerId(), o.prompts(),
          config.samplesPerPrompt(), o.version(), o.nanos() / 1_000_000, o.tokens());
    }

    @Override
    public void onAborted(List<ConsumerRecord<byte[], byte[]>> batch, Exception cause) {
      pending = null;
      reporter.metric("sampler.aborted_batches", loop.abortedBatches(), batches.get(), live.version());
    }

    @Override
    public void onPaused(boolean paused) {
      long v = live.version();
      reporter.metric("sampler.paused", paused ? 1 : 0, batches.get(), v);
      String message = paused
          ? "paused at v" + v + ": " + (pacer.remaining(v) == 0 ? pacer.used() + " prompts sampled at this version"
              : "the line is " + config.maxLag() + " updates ahead of the learner") + ", waiting for a newer version"
          : "resumed at v" + v;
      log.info("{}: {}", config.samplerId(), message);
      reporter.event(paused ? "paused" : "resumed", message,
          Map.of("samplerId", config.samplerId(), "policyName", config.policyName(), "version", Long.toString(v)));
    }
  }

  /**
   * Stops sampling: the batch in progress commits or aborts, the replica leaves its group, and every
   * client, the policy and the tokenizer are closed. Idempotent; safe from a shutdown hook.
   */
  @Override
  public void close() {
    boolean started;
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
      closing = true;
      started = loopStarted;
    }
    try {
      if (started) {
        loop.stop();
        if (!loop.awaitStopped(Duration.ofSeconds(60))) {
          log.warn("{}: the sampling loop did not stop within 60 s", config.samplerId());
        }
      } else {
        loop.closeUnstarted();
      }
      subscriber.close();
      admin.close(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      live.close();
      log.info("sampler {} stopped: {} prompts sampled, {} generations published, {} undecodable, {} too long",
          config.samplerId(), prompts.get(), generations.get(), undecodable.get(), tooLong.get());
      reporter.event("replica-stopped", "sampler " + config.samplerId() + " stopped",
          Map.of("samplerId", config.samplerId(), "prompts", Long.toString(prompts.get()),
              "generations", Long.toString(generations.get())));
      reporter.close();
      closed = true;
    }
  }

  /** Whether {@link #close()} has completed. */
  public boolean closed() {
    return closed;
  }
}
