package io.alignstream.rewarder;

import ai.djl.Device;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.RunReporter;
import io.alignstream.runtime.TransactionalLoop;
import io.alignstream.runtime.WeightSubscriber;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
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
 * One rewarder replica: scores every demonstration and generation of its consumer group's share with
 * the reward-model ensemble and publishes each as a {@link ScoredSample} (every member's reward, their
 * mean and spread, and the ensemble version), keyed by promptId, exactly once.
 *
 * <p>How:
 * <ul>
 *   <li>One group, {@link RewarderConfig#groupId()}, over both the demonstrations and the generations
 *       topic: replicas split the partitions of both.</li>
 *   <li>Start-up chooses the scoring device ({@link ScoringDevice}), then waits (up to
 *       {@code weightsTimeout}) for the first version of the "reward" line and hot-swaps every later
 *       one ({@link LiveRewardModel}); a version the model refuses is rejected and the old one stays.</li>
 *   <li>Each poll of up to maxBatch records is one micro-batch, scored at one version
 *       ({@link BatchScorer}); its outputs and the consumed offsets commit in one transaction
 *       ({@link TransactionalLoop}); any failure aborts and redoes it.</li>
 *   <li>Records that do not decode or do not fit the model are counted, logged with their offset,
 *       reported as metrics and committed past.</li>
 * </ul>
 *
 * <p>Lifecycle: {@link #run()} blocks until {@link #close()} (from another thread) or a fatal error;
 * {@link #close()} finishes or aborts the batch in progress, leaves the group and frees every client
 * and native resource. It is idempotent.
 */
public final class RewarderService implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RewarderService.class);
  /** How fast an idle replica notices its close. */
  private static final Duration POLL = Duration.ofMillis(200);
  /** Scoring happens before the transaction begins, so a transaction only spans sends and the commit. */
  private static final int TRANSACTION_TIMEOUT_MS = 30_000;
  private static final Duration PARTIAL_WEIGHTS_TIMEOUT = Duration.ofMinutes(2);

  private final RewarderConfig config;
  private final Topics topics;
  private final Device device;
  private final RunReporter reporter;
  private final LiveRewardModel live;
  private final WeightSubscriber subscriber;
  private final BatchScorer scorer;
  private final TransactionalLoop loop;
  private final Object lifecycle = new Object();
  private boolean loopStarted; // guarded by lifecycle
  private boolean closing; // guarded by lifecycle
  private volatile boolean closed;

  private final AtomicLong demonstrations = new AtomicLong();
  private final AtomicLong generations = new AtomicLong();
  private final AtomicLong undecodable = new AtomicLong();
  private final AtomicLong unfit = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong scoringNanos = new AtomicLong();
  private final AtomicLong rejectedVersions = new AtomicLong();

  /**
   * Chooses the scoring device and builds the replica's Kafka clients on {@code connection}; nothing is
   * consumed before {@link #run()}.
   *
   * @throws IllegalStateException when the device asked for is not available
   */
  public RewarderService(RewarderConfig config, KafkaConnection connection) {
    this.config = config;
    this.topics = config.topics();
    this.device = config.device().apply();
    this.reporter = new RunReporter(new KafkaProducer<>(connection.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer()), topics, config.rewarderId());
    this.live = new LiveRewardModel();
    this.subscriber = new WeightSubscriber(weightConsumer(connection), topics, Set.of(ModelLines.REWARD),
        this::onWeights, PARTIAL_WEIGHTS_TIMEOUT);
    this.scorer = new BatchScorer(topics);
    this.loop = new TransactionalLoop(sampleConsumer(connection), transactionalProducer(connection),
        List.of(topics.demonstrations.name(), topics.generations.name()), new Step(), POLL);
  }

  private KafkaConsumer<byte[], byte[]> sampleConsumer(KafkaConnection connection) {
    return new KafkaConsumer<>(connection.loopConsumerConfig(config.groupId(), config.rewarderId() + "-samples", config.maxBatch()),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The subscriber assigns partitions itself: read_committed and no group. */
  private KafkaConsumer<byte[], byte[]> weightConsumer(KafkaConnection connection) {
    return new KafkaConsumer<>(connection.readerConfig(config.rewarderId() + "-weights"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  private KafkaProducer<byte[], byte[]> transactionalProducer(KafkaConnection connection) {
    return new KafkaProducer<>(connection.loopProducerConfig(config.transactionalId(), config.rewarderId() + "-scored",
        Duration.ofMillis(TRANSACTION_TIMEOUT_MS)), new ByteArraySerializer(), new ByteArraySerializer());
  }

  public RewarderConfig config() {
    return config;
  }

  /** The device the ensemble scores on. */
  public Device device() {
    return device;
  }

  /** Reward-model version in use, or -1 before the first. */
  public long rewardModelVersion() {
    return live.version();
  }

  /** Demonstrations scored (committed). */
  public long demonstrationsScored() {
    return demonstrations.get();
  }

  /** Generations scored (committed). */
  public long generationsScored() {
    return generations.get();
  }

  /** Records that did not decode (committed past). */
  public long undecodableRecords() {
    return undecodable.get();
  }

  /** Records that decoded but do not fit the model (committed past). */
  public long unfitRecords() {
    return unfit.get();
  }

  /** Versions of the reward line refused (the old weights stayed). */
  public long rejectedVersions() {
    return rejectedVersions.get();
  }

  /** Samples scored per second of scoring (tokenize + ensemble), over every committed micro-batch. */
  public double samplesPerSecond() {
    long n = demonstrations.get() + generations.get();
    return n == 0 ? 0 : n / Math.max(1e-9, scoringNanos.get() / 1e9);
  }

  /**
   * Waits for the first reward weights, then scores until {@link #close()}.
   *
   * @throws IllegalStateException when no weights arrive within {@code weightsTimeout}
   * @throws TransactionalLoop.FatalException when the producer is fenced or otherwise unusable
   */
  @Override
  public void run() {
    reporter.event("replica-started", "rewarder " + config.rewarderId() + " started on " + device,
        Map.of("rewarderId", config.rewarderId(), "group", config.groupId(), "transactionalId", config.transactionalId(),
            "maxBatch", Integer.toString(config.maxBatch()), "device", device.toString()));
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
    log.info("rewarder {} scores from reward v{} on {} (group {}, micro-batches of up to {})", config.rewarderId(),
        live.version(), device, config.groupId(), config.maxBatch());
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
        throw new IllegalStateException("no weights of model line '" + ModelLines.REWARD + "' arrived on "
            + topics.modelVersions.name() + " within " + config.weightsTimeout()
            + ": the learner publishes the reward ensemble after its SFT stage; start it, or raise --weights-timeout"
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

  /** The subscriber's listener: loads the version, or reports why not and rethrows so it is rejected. */
  private void onWeights(PublishedWeights weights) throws Exception {
    String v = Long.toString(weights.version());
    try {
      live.onWeights(weights);
    } catch (Exception e) {
      rejectedVersions.incrementAndGet();
      log.warn("{}: reward v{} rejected, scoring stays at v{}: {}", config.rewarderId(), v, live.version(), e.toString());
      reporter.event("version-rejected", "reward v" + v + " rejected: " + e.getMessage(),
          Map.of("rewarderId", config.rewarderId(), "modelName", ModelLines.REWARD, "version", v,
              "kept", Long.toString(live.version())));
      throw e;
    }
    log.info("{}: reward v{} loaded on {}", config.rewarderId(), v, device);
    reporter.event("version-loaded", "reward v" + v + " loaded",
        Map.of("rewarderId", config.rewarderId(), "modelName", ModelLines.REWARD, "version", v,
            "members", weights.manifest().getMetadata().getOrDefault("members", "")));
    reporter.metric("rewarder.version", weights.version(), batches.get(), weights.version());
  }

  /** The transform of one micro-batch; all methods run on the loop thread. */
  private final class Step implements TransactionalLoop.Processor {
    private BatchScorer.Result pending;

    @Override
    public List<ProducerRecord<byte[], byte[]>> process(List<ConsumerRecord<byte[], byte[]>> batch) {
      pending = null;
      BatchScorer.Result result = live.withModel(model -> scorer.score(batch, model));
      pending = result;
      return result.toSend();
    }

    @Override
    public long setAside(TopicPartition partition) {
      return pending == null ? 0 : pending.skipped().stream()
          .filter(s -> s.topic().equals(partition.topic()) && s.partition() == partition.partition()).count();
    }

    @Override
    public void onCommitted(List<ConsumerRecord<byte[], byte[]>> batch, List<ProducerRecord<byte[], byte[]>> sent) {
      BatchScorer.Result r = pending;
      pending = null;
      if (r == null) {
        return;
      }
      long step = batches.incrementAndGet();
      long v = r.version();
      for (BatchScorer.Skipped s : r.skipped()) {
        (s.reason() == BatchScorer.Reason.UNDECODABLE ? undecodable : unfit).incrementAndGet();
      }
      if (!r.skipped().isEmpty()) {
        reporter.metric("rewarder.undecodable_records", undecodable.get(), step, v);
        reporter.metric("rewarder.unfit_records", unfit.get(), step, v);
      }
      if (r.scored().isEmpty()) {
        return;
      }
      scoringNanos.addAndGet(r.nanos());
      double genSum = 0;
      double demoSum = 0;
      double stdSum = 0;
      int gens = 0;
      int demos = 0;
      for (ScoredSample s : r.scored()) {
        stdSum += s.getRewardStd();
        if (s.getKind() == SampleKind.DEMONSTRATION) {
          demos++;
          demoSum += s.getRewardMean();
        } else {
          gens++;
          genSum += s.getRewardMean();
        }
      }
      demonstrations.addAndGet(demos);
      generations.addAndGet(gens);
      reporter.metric("rewarder.samples_per_s", r.scored().size() / Math.max(1e-9, r.nanos() / 1e9), step, v);
      reporter.metric("rewarder.reward_std", stdSum / r.scored().size(), step, v);
      if (gens > 0) {
        reporter.metric("rewarder.reward_mean", genSum / gens, step, v);
      }
      if (demos > 0) {
        reporter.metric("rewarder.demo_reward_mean", demoSum / demos, step, v);
      }
      reporter.metric("rewarder.version", v, step, v);
      log.debug("{}: {} demonstrations + {} generations at v{} in {} ms", config.rewarderId(), demos, gens, v,
          r.nanos() / 1_000_000);
    }

    @Override
    public void onAborted(List<ConsumerRecord<byte[], byte[]>> batch, Exception cause) {
      pending = null;
      reporter.metric("rewarder.aborted_batches", loop.abortedBatches(), batches.get(), live.version());
    }
  }

  /**
   * Stops scoring: the micro-batch in progress commits or aborts, the replica leaves its group, and
   * every client, the ensemble and the tokenizer are closed. Idempotent; safe from a shutdown hook.
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
          log.warn("{}: the scoring loop did not stop within 60 s", config.rewarderId());
        }
      } else {
        loop.closeUnstarted();
      }
      subscriber.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      live.close();
      reporter.close();
      closed = true;
    }
  }

  /** Whether {@link #close()} has completed. */
  public boolean closed() {
    return closed;
  }
}
