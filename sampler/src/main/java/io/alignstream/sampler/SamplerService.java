package io.alignstream.sampler;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.model.Policy;
import io.alignstream.runtime.CommittedRecords;
import io.alignstream.runtime.Replica;
import io.alignstream.runtime.Service;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
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
 *   <li>A {@link Replica}: start-up waits (up to {@code weightsTimeout}) for the first version of the
 *       model line from the weight topics, then hot-swaps every later version
 *       ({@link io.alignstream.runtime.LiveModel}).</li>
 *   <li>Each batch of up to promptsPerBatch prompts becomes one generate call of prompts × K rows at one
 *       policy version; the generations and the prompts' offsets commit in one transaction
 *       ({@link io.alignstream.runtime.TransactionalLoop}); any failure aborts and redoes the batch.</li>
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
public final class SamplerService implements Service {
  private static final Logger log = LoggerFactory.getLogger(SamplerService.class);
  /**
   * Generation happens before the transaction begins, so a transaction only spans sends and the commit
   * (milliseconds). A short time-out (Kafka Streams' EOS default) bounds how long the open transaction of
   * a replica that crashed, and restarts under a new id, blocks read_committed readers of generations.
   */
  private static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(10);

  private final SamplerConfig config;
  private final Topics topics;
  private final Pacer pacer;
  private final InFlightGate gate;
  private final Admin admin;
  private final Replica<Policy> replica;

  /** Replaced by the loop thread on each commit; read by any. */
  private volatile Counts counts = new Counts(0, 0, 0, 0);

  /** Builds the replica's Kafka clients on {@code connection}; nothing is consumed before {@link #run()}. */
  public SamplerService(SamplerConfig config, KafkaConnection connection) {
    this.config = config;
    this.topics = config.topics();
    this.pacer = new Pacer(config.maxPromptsPerVersion());
    this.gate = new InFlightGate(config.maxLag());
    this.admin = connection.admin();
    var spec = new Replica.Spec("sampler", config.samplerId(), topics, config.policyName(), config.groupId(),
        List.of(topics.prompts.name()), "prompts", "generations", config.promptsPerBatch(), TRANSACTION_TIMEOUT,
        config.weightsTimeout(), "start the learner (it publishes version 0) or publish initial weights, or raise "
            + "--weights-timeout",
        "K=" + config.samplesPerPrompt() + ", " + config.promptsPerBatch() + " prompts per batch, pacing "
            + (config.paced() ? config.maxPromptsPerVersion() + " prompts/version" : "off"),
        Map.of("samplesPerPrompt", Integer.toString(config.samplesPerPrompt()),
            "maxPromptsPerVersion", Integer.toString(config.maxPromptsPerVersion())));
    this.replica = new Replica<>(spec, connection, Policy::fromBytes, PolicyAdapters.serving(), r -> new Step());
  }

  public SamplerConfig config() {
    return config;
  }

  /** Policy version in use, or -1 before the first. */
  public long policyVersion() {
    return replica.model().version();
  }

  /**
   * What the replica has done, counted on commit.
   *
   * @param prompts prompts sampled
   * @param generations generations published
   * @param undecodable prompt records that did not decode
   * @param tooLong prompts skipped because they do not fit the context
   */
  public record Counts(long prompts, long generations, long undecodable, long tooLong) {
    Counts plus(BatchSampler.Outcome o) {
      return new Counts(prompts + o.prompts(), generations + o.rows(), undecodable + o.undecodable().size(),
          tooLong + o.tooLong().size());
    }
  }

  public Counts counts() {
    return counts;
  }

  /** Whether consumption is paused by pacing. */
  public boolean paused() {
    return replica.loop().paused();
  }

  /**
   * Waits for the first weights, then samples until {@link #close()}.
   *
   * @throws IllegalStateException when no weights arrive within {@code weightsTimeout}
   * @throws io.alignstream.runtime.TransactionalLoop.FatalException when the producer is fenced or otherwise unusable
   */
  @Override
  public void run() {
    replica.run();
  }

  /** Pacing and reporting around {@link BatchSampler}; all methods run on the loop thread. */
  private final class Step implements Replica.Work {
    private final BatchSampler sampler = new BatchSampler(config);
    private BatchSampler.Outcome pending; // of the batch in progress, reported once it commits

    private long sampledFetched;
    private long sampledSinceFetch;
    private long fetchedAtNanos;

    @Override
    public int capacity() {
      int budget = Math.min(config.promptsPerBatch(), pacer.remaining(replica.model().version()));
      if (budget == 0 || !gate.enabled()) {
        return budget;
      }
      return (int) Math.min(budget, gate.remaining(sampledPrompts(), replica.model().metadata()));
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
      BatchSampler.Result result = replica.model().withModel(v -> sampler.sample(batch, v.model(), v.tokenizer()));
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
      long step = replica.loop().committedBatches();
      long version = o.prompts() > 0 ? o.version() : replica.model().version();
      // Counted on commit, not when seen: an aborted batch is redone and would count them twice.
      Counts c = counts.plus(o);
      counts = c;
      if (!o.undecodable().isEmpty()) {
        replica.reporter().metric("sampler.undecodable_prompts", c.undecodable(), step, version);
      }
      for (String s : o.tooLong()) {
        replica.reporter().event("prompt-too-long", "prompt " + s + " does not fit the context with "
            + config.sampling().maxNewTokens() + " new tokens; skipped", Map.of("samplerId", config.samplerId(), "prompt", s));
      }
      if (!o.tooLong().isEmpty()) {
        replica.reporter().metric("sampler.prompts_too_long", c.tooLong(), step, version);
      }
      if (o.prompts() == 0) {
        return;
      }
      pacer.record(o.version(), o.prompts());
      double seconds = Math.max(1e-9, o.nanos() / 1e9);
      replica.reporter().metric("sampler.generations_per_s", o.rows() / seconds, step, o.version());
      replica.reporter().metric("sampler.tokens_per_s", o.tokens() / seconds, step, o.version());
      replica.reporter().metric("sampler.batch_latency_ms", o.nanos() / 1e6, step, o.version());
      replica.reporter().metric("sampler.policy_version", o.version(), step, o.version());
      replica.reporter().metric("sampler.prompts", c.prompts(), step, o.version());
      log.debug("{}: {} prompts × {} at v{} in {} ms ({} tokens)", config.samplerId(), o.prompts(),
          config.samplesPerPrompt(), o.version(), o.nanos() / 1_000_000, o.tokens());
    }

    @Override
    public void onAborted(List<ConsumerRecord<byte[], byte[]>> batch, Exception cause) {
      pending = null;
    }

    @Override
    public void onPaused(boolean paused) {
      long v = replica.model().version();
      replica.reporter().metric("sampler.paused", paused ? 1 : 0, replica.loop().committedBatches(), v);
      String message = paused
          ? "paused at v" + v + ": " + (pacer.remaining(v) == 0 ? pacer.used() + " prompts sampled at this version"
              : "the line is " + config.maxLag() + " updates ahead of the learner") + ", waiting for a newer version"
          : "resumed at v" + v;
      log.info("{}: {}", config.samplerId(), message);
      replica.reporter().event(paused ? "paused" : "resumed", message,
          Map.of("samplerId", config.samplerId(), "policyName", config.policyName(), "version", Long.toString(v)));
    }

    @Override
    public void loaded(long version) {
      replica.reporter().metric("sampler.policy_version", version, replica.loop().committedBatches(), version);
    }

    @Override
    public String summary() {
      Counts c = counts();
      return c.prompts() + " prompts sampled, " + c.generations() + " generations published, " + c.undecodable()
          + " undecodable, " + c.tooLong() + " too long";
    }

    @Override
    public void stopped() {
      admin.close(Duration.ofSeconds(5));
    }
  }

  /**
   * Stops sampling: the batch in progress commits or aborts, the replica leaves its group, and every
   * client, the policy and the tokenizer are closed. Idempotent; safe from a shutdown hook.
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
