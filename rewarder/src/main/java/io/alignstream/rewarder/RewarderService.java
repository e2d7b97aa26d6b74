package io.alignstream.rewarder;

import ai.djl.Device;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardScorer;
import io.alignstream.runtime.LiveModel;
import io.alignstream.runtime.Replica;
import io.alignstream.runtime.Service;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
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
 *       one ({@link LiveModel}, in a {@link Replica}); a version the model refuses is rejected and the old
 *       one stays. A version is a whole ensemble, or (frozen backbone) K heads over π_0 from the "base"
 *       line, loaded once ({@link SharedBackbone}).</li>
 *   <li>Each poll of up to maxBatch records is one micro-batch, scored at one version
 *       ({@link BatchScorer}); its outputs and the consumed offsets commit in one transaction
 *       ({@link io.alignstream.runtime.TransactionalLoop}); any failure aborts and redoes it.</li>
 *   <li>Records that do not decode or do not fit the model are counted, logged with their offset,
 *       reported as metrics and committed past.</li>
 * </ul>
 *
 * <p>Lifecycle: {@link #run()} blocks until {@link #close()} (from another thread) or a fatal error;
 * {@link #close()} finishes or aborts the batch in progress, leaves the group and frees every client
 * and native resource. It is idempotent.
 */
public final class RewarderService implements Service {
  private static final Logger log = LoggerFactory.getLogger(RewarderService.class);
  /** Scoring happens before the transaction begins, so a transaction only spans sends and the commit. */
  private static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(30);
  /**
   * Each whole version of the reward line as the rewarder scores with it: the whole ensemble. Versions of
   * heads alone are built over π_0 by {@link SharedBackbone}.
   */
  static final LiveModel.Factory<RewardScorer> ENSEMBLE = (config, payload, version) ->
      RewardEnsemble.fromBytes(config, payload, version, 0);

  private final RewarderConfig config;
  private final BatchScorer scorer;
  private final Replica<RewardScorer> replica;

  /** Replaced by the loop thread on each commit; read by any. */
  private volatile Counts counts = new Counts(0, 0, 0, 0, 0);

  /**
   * Chooses the scoring device and builds the replica's Kafka clients on {@code connection}; nothing is
   * consumed before {@link #run()}.
   *
   * @throws IllegalStateException when the device asked for is not available
   */
  public RewarderService(RewarderConfig config, KafkaConnection connection) {
    this.config = config;
    Topics topics = config.topics();
    Device device = config.device().apply();
    this.scorer = new BatchScorer(topics);
    var spec = new Replica.Spec("rewarder", config.rewarderId(), topics, ModelLines.REWARD, config.groupId(),
        List.of(topics.demonstrations.name(), topics.generations.name()), "samples", "scored", config.maxBatch(),
        TRANSACTION_TIMEOUT, config.weightsTimeout(),
        "the learner publishes the reward ensemble after its SFT stage; start it, or raise --weights-timeout",
        "on " + device + ", micro-batches of up to " + config.maxBatch(),
        Map.of("maxBatch", Integer.toString(config.maxBatch()), "device", device.toString()));
    this.replica = new Replica<>(spec, connection, ENSEMBLE, SharedBackbone.serving(), r -> new Step());
  }

  /** Reward-model version in use, or -1 before the first. */
  public long rewardModelVersion() {
    return replica.model().version();
  }

  /**
   * What the replica has done, counted on commit.
   *
   * @param demonstrations demonstrations scored
   * @param generations generations scored
   * @param undecodable records that did not decode (committed past)
   * @param unfit records that decoded but do not fit the model (committed past)
   * @param scoringNanos time spent scoring them (tokenize + ensemble)
   */
  public record Counts(long demonstrations, long generations, long undecodable, long unfit, long scoringNanos) {}

  public Counts counts() {
    return counts;
  }

  /** Versions of the reward line refused (the old weights stayed). */
  public long rejectedVersions() {
    return replica.rejectedVersions();
  }

  /** Samples scored per second of scoring, over every committed micro-batch. */
  public double samplesPerSecond() {
    Counts c = counts;
    long n = c.demonstrations() + c.generations();
    return n == 0 ? 0 : n / Math.max(1e-9, c.scoringNanos() / 1e9);
  }

  /**
   * Waits for the first reward weights, then scores until {@link #close()}.
   *
   * @throws IllegalStateException when no weights arrive within {@code weightsTimeout}
   * @throws io.alignstream.runtime.TransactionalLoop.FatalException when the producer is fenced or otherwise unusable
   */
  @Override
  public void run() {
    replica.run();
  }

  /** The transform of one micro-batch; all methods run on the loop thread. */
  private final class Step implements Replica.Work {
    private BatchScorer.Result pending;

    @Override
    public List<ProducerRecord<byte[], byte[]>> process(List<ConsumerRecord<byte[], byte[]>> batch) {
      pending = null;
      BatchScorer.Result result = replica.model().withModel(model -> scorer.score(batch, model));
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
      long step = replica.loop().committedBatches();
      long v = r.version();
      long undecodable = r.skipped().stream().filter(s -> s.reason() == BatchScorer.Reason.UNDECODABLE).count();
      int demos = (int) r.scored().stream().filter(s -> s.getKind() == SampleKind.DEMONSTRATION).count();
      Counts c = counts;
      c = new Counts(c.demonstrations() + demos, c.generations() + r.scored().size() - demos,
          c.undecodable() + undecodable, c.unfit() + r.skipped().size() - undecodable,
          c.scoringNanos() + (r.scored().isEmpty() ? 0 : r.nanos()));
      counts = c;
      if (!r.skipped().isEmpty()) {
        replica.reporter().metric("rewarder.undecodable_records", c.undecodable(), step, v);
        replica.reporter().metric("rewarder.unfit_records", c.unfit(), step, v);
      }
      if (r.scored().isEmpty()) {
        return;
      }
      double genSum = 0;
      double demoSum = 0;
      double stdSum = 0;
      for (ScoredSample s : r.scored()) {
        stdSum += s.getRewardStd();
        if (s.getKind() == SampleKind.DEMONSTRATION) {
          demoSum += s.getRewardMean();
        } else {
          genSum += s.getRewardMean();
        }
      }
      int gens = r.scored().size() - demos;
      replica.reporter().metric("rewarder.samples_per_s", r.scored().size() / Math.max(1e-9, r.nanos() / 1e9), step, v);
      replica.reporter().metric("rewarder.reward_std", stdSum / r.scored().size(), step, v);
      if (gens > 0) {
        replica.reporter().metric("rewarder.reward_mean", genSum / gens, step, v);
      }
      if (demos > 0) {
        replica.reporter().metric("rewarder.demo_reward_mean", demoSum / demos, step, v);
      }
      replica.reporter().metric("rewarder.version", v, step, v);
      log.debug("{}: {} demonstrations + {} generations at v{} in {} ms", config.rewarderId(), demos, gens, v,
          r.nanos() / 1_000_000);
    }

    @Override
    public void onAborted(List<ConsumerRecord<byte[], byte[]>> batch, Exception cause) {
      pending = null;
    }

    @Override
    public void loaded(long version) {
      replica.reporter().metric("rewarder.version", version, replica.loop().committedBatches(), version);
    }

    @Override
    public String summary() {
      Counts c = counts;
      return c.demonstrations() + " demonstrations and " + c.generations() + " generations scored, "
          + c.undecodable() + " undecodable, " + c.unfit() + " unfit";
    }
  }

  /**
   * Stops scoring: the micro-batch in progress commits or aborts, the replica leaves its group, and
   * every client, the ensemble and the tokenizer are closed. Idempotent; safe from a shutdown hook.
   */
  @Override
  public void close() {
    replica.close();
  }

  /** Whether {@link #close()} has completed. */
  public boolean closed() {
    return replica.closed();
  }
}
