package io.alignstream.runtime;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
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
 * One replica of a model-serving service (a sampler, a rewarder), so that each service defines only
 * its work and its model. A replica is
 * <ul>
 *   <li>a {@link RunReporter} for its metrics and events;</li>
 *   <li>a {@link LiveModel} of its model line, fed by a {@link WeightSubscriber};</li>
 *   <li>a {@link TransactionalLoop} over its consumer group, running the service's {@link Work};</li>
 * </ul>
 * and one lifecycle. {@link #run()} announces the replica, follows the weights, waits (up to the
 * weights timeout, then fails loudly) for the first version, and runs the loop until {@link #close()}
 * or a fatal error, reporting each aborted batch ({@code <kind>.aborted_batches}). {@link #close()}
 * (any thread, a shutdown hook too) finishes or aborts the batch in progress, leaves the group, and
 * closes every client and the model; it is idempotent.
 */
public final class Replica<M extends AutoCloseable> implements Service {
  private static final Logger log = LoggerFactory.getLogger(Replica.class);
  /** How fast an idle or paused replica notices new capacity, and a closing one its close. */
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration PARTIAL_WEIGHTS_TIMEOUT = Duration.ofMinutes(2);

  /**
   * What a replica is.
   *
   * @param kind the service, in messages ({@code sampler}, {@code rewarder})
   * @param id the replica's id: its metrics and events source, part of its client and transactional ids
   * @param topics the run's topics
   * @param line the model line it follows
   * @param groupId the consumer group the replicas of the service share; the transactional id is
   *     {@code groupId.id}, so a restarted replica with the same id fences its predecessor
   * @param inputs the topics it consumes
   * @param consumes, produces what it reads and writes, in client ids ({@code prompts}, {@code generations})
   * @param maxPollRecords the most records one batch holds
   * @param transactionTimeout the work runs before its transaction begins, so this bounds only sends and
   *     the commit: short, so that a crashed replica's open transaction blocks read_committed readers briefly
   * @param weightsTimeout how long {@link #run()} waits for the first version
   * @param noWeightsHint what to do when none comes, for the error
   * @param detail how it works, for the log line once it starts (e.g. {@code K=4, 8 prompts per batch})
   * @param attributes what its {@code replica-started} event says besides its ids
   */
  public record Spec(String kind, String id, Topics topics, String line, String groupId, List<String> inputs,
      String consumes, String produces, int maxPollRecords, Duration transactionTimeout, Duration weightsTimeout,
      String noWeightsHint, String detail, Map<String, String> attributes) {
    public Spec {
      Objects.requireNonNull(topics, "topics");
      inputs = List.copyOf(inputs);
      attributes = Map.copyOf(attributes);
    }

    public String transactionalId() {
      return groupId + "." + id;
    }
  }

  /** The service's part: the loop's transform, and what it reports and frees around it. */
  public interface Work extends TransactionalLoop.Processor {
    /** A version of the line is in use (on the subscriber's thread), for the service's own metrics. */
    default void loaded(long version) {}

    /** One line on what the replica did, logged and reported when it stops. */
    default String summary() {
      return "";
    }

    /** Frees what the work holds beside the replica's clients; called once, after the loop stopped. */
    default void stopped() {}
  }

  private final Spec spec;
  private final RunReporter reporter;
  private final LiveModel<M> model;
  private final WeightSubscriber subscriber;
  private final Work work;
  private final TransactionalLoop loop;
  private final AtomicLong rejectedVersions = new AtomicLong();
  private final Object lifecycle = new Object();
  private boolean loopStarted; // guarded by lifecycle
  private boolean closing; // guarded by lifecycle
  private volatile boolean closed;

  /**
   * Builds the replica's clients on {@code kafka}; nothing is consumed before {@link #run()}.
   *
   * @param factory builds each version of the model
   * @param work makes the service's work, given this replica (its model, reporter and loop)
   */
  public Replica(Spec spec, KafkaConnection kafka, LiveModel.Factory<M> factory, Function<Replica<M>, Work> work) {
    this(spec, kafka, factory, null, work);
  }

  /**
   * As {@link #Replica(Spec, KafkaConnection, LiveModel.Factory, Function)}, also serving the line's
   * adapter versions through {@code adapters} (may be null): the replica then follows the adapters' base
   * line too.
   */
  public Replica(Spec spec, KafkaConnection kafka, LiveModel.Factory<M> factory, AdapterFactory<M> adapters,
      Function<Replica<M>, Work> work) {
    this.spec = spec;
    this.reporter = new RunReporter(new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer()), spec.topics(), spec.id());
    this.model = new LiveModel<>(spec.line(), spec.kind(), factory, adapters);
    Set<String> lines = model.baseLine() == null ? Set.of(spec.line()) : Set.of(spec.line(), model.baseLine());
    // The subscriber assigns partitions itself: read_committed and no group.
    this.subscriber = new WeightSubscriber(new KafkaConsumer<>(kafka.readerConfig(spec.id() + "-weights"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer()), spec.topics(), lines, this::onWeights,
        PARTIAL_WEIGHTS_TIMEOUT);
    this.work = work.apply(this);
    var consumer = new KafkaConsumer<>(kafka.loopConsumerConfig(spec.groupId(), spec.id() + "-" + spec.consumes(),
        spec.maxPollRecords()), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    var producer = new KafkaProducer<>(kafka.loopProducerConfig(spec.transactionalId(),
        spec.id() + "-" + spec.produces(), spec.transactionTimeout()), new ByteArraySerializer(), new ByteArraySerializer());
    this.loop = new TransactionalLoop(consumer, producer, spec.inputs(), new Reporting(), POLL);
  }

  /** The work as the loop runs it, with what every replica reports: its aborted batches. */
  private final class Reporting implements TransactionalLoop.Processor {
    @Override
    public int capacity() {
      return work.capacity();
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> process(List<ConsumerRecord<byte[], byte[]>> batch) throws Exception {
      return work.process(batch);
    }

    @Override
    public long setAside(TopicPartition partition) {
      return work.setAside(partition);
    }

    @Override
    public void onCommitted(List<ConsumerRecord<byte[], byte[]>> batch, List<ProducerRecord<byte[], byte[]>> sent) {
      work.onCommitted(batch, sent);
    }

    @Override
    public void onAborted(List<ConsumerRecord<byte[], byte[]>> batch, Exception cause) {
      work.onAborted(batch, cause);
      reporter.metric(spec.kind() + ".aborted_batches", loop.abortedBatches(), loop.committedBatches(), model.version());
    }

    @Override
    public void onPaused(boolean paused) {
      work.onPaused(paused);
    }
  }

  public Spec spec() {
    return spec;
  }

  public RunReporter reporter() {
    return reporter;
  }

  /** The model in use; work runs on it with {@link LiveModel#withModel}. */
  public LiveModel<M> model() {
    return model;
  }

  public TransactionalLoop loop() {
    return loop;
  }

  /** Versions of the line refused (the old weights stayed). */
  public long rejectedVersions() {
    return rejectedVersions.get();
  }

  /**
   * Waits for the first weights, then runs the loop until {@link #close()}.
   *
   * @throws IllegalStateException when no weights arrive within the weights timeout
   * @throws TransactionalLoop.FatalException when the producer is fenced or otherwise unusable
   */
  @Override
  public void run() {
    Map<String, String> attributes = new LinkedHashMap<>(spec.attributes());
    attributes.putAll(Map.of("replica", spec.id(), "line", spec.line(), "group", spec.groupId(),
        "transactionalId", spec.transactionalId()));
    reporter.event("replica-started", spec.kind() + " " + spec.id() + " started for line " + spec.line(), attributes);
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
    log.info("{} {} follows line {} from v{} (group {}; {})", spec.kind(), spec.id(), spec.line(), model.version(),
        spec.groupId(), spec.detail());
    loop.run();
  }

  private boolean awaitFirstWeights() {
    long deadline = System.nanoTime() + spec.weightsTimeout().toNanos();
    while (!model.ready()) {
      synchronized (lifecycle) {
        if (closing) {
          return false;
        }
      }
      if (System.nanoTime() > deadline) {
        String why = subscriber.deliveries().lastRejection();
        throw new IllegalStateException("no weights of model line '" + spec.line() + "' arrived on "
            + spec.topics().modelVersions.name() + " within " + spec.weightsTimeout() + ": " + spec.noWeightsHint()
            + (why.isEmpty() ? "" : "; last rejection: " + why));
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

  /** The subscriber's listener: loads the version and says so, or says why not and rethrows so it is rejected. */
  private void onWeights(PublishedWeights weights) throws Exception {
    String v = Long.toString(weights.version());
    long before = model.version();
    try {
      model.onWeights(weights);
    } catch (Exception e) {
      rejectedVersions.incrementAndGet();
      log.warn("{}: {} v{} rejected, staying at v{}: {}", spec.id(), spec.line(), v, model.version(), e.toString());
      reporter.event("version-rejected", spec.line() + " v" + v + " rejected: " + e.getMessage(),
          Map.of("replica", spec.id(), "modelName", spec.line(), "version", v, "kept", Long.toString(model.version())));
      throw e;
    }
    long now = model.version();
    if (now == before) {
      // The adapters' base, or an adapter waiting for it: nothing new in use yet.
      log.info("{}: {} v{} received; {} stays at v{}", spec.id(), weights.modelName(), v, spec.line(), now);
      return;
    }
    String loaded = Long.toString(now);
    log.info("{}: {} v{} loaded", spec.id(), spec.line(), loaded);
    reporter.event("version-loaded", spec.line() + " v" + loaded + " loaded",
        Map.of("replica", spec.id(), "modelName", spec.line(), "version", loaded));
    work.loaded(now);
  }

  /**
   * Stops: the batch in progress commits or aborts, the replica leaves its group, and every client and
   * the model are closed. Idempotent; safe from a shutdown hook.
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
          log.warn("{} {}: the loop did not stop within 60 s", spec.kind(), spec.id());
        }
      } else {
        loop.closeUnstarted();
      }
      subscriber.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        work.stopped();
      } finally {
        model.close();
        String summary = work.summary();
        log.info("{} {} stopped{}", spec.kind(), spec.id(), summary.isEmpty() ? "" : ": " + summary);
        reporter.event("replica-stopped", spec.kind() + " " + spec.id() + " stopped"
            + (summary.isEmpty() ? "" : ": " + summary), Map.of("replica", spec.id()));
        reporter.close();
        closed = true;
      }
    }
  }

  /** Whether {@link #close()} has completed. */
  public boolean closed() {
    return closed;
  }
}
