package io.alignstream.learner;

import io.alignstream.runtime.RunReporter;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns batch records into what the learner trains on. A record that does not decode, or decodes to
 * a batch the learner cannot train on, becomes a dead letter with the reason, counted and logged,
 * never an exception: it would fail the update, and the learner with it, on every restart.
 */
final class BatchDecoder {
  private static final Logger log = LoggerFactory.getLogger(BatchDecoder.class);

  private final Topics topics;
  private final RunReporter reporter;

  BatchDecoder(Topics topics, RunReporter reporter) {
    this.topics = topics;
    this.reporter = reporter;
  }

  /**
   * The batch a record holds, or empty: a tombstone, or a record that does not decode or that
   * {@code learner} cannot train on, which is added to {@code deadLetters} with the reason.
   */
  Optional<TrainingBatch> decode(ConsumerRecord<byte[], byte[]> r, Learner learner,
      List<ProducerRecord<byte[], byte[]>> deadLetters) {
    TrainingBatch batch;
    try {
      batch = topics.batches.value(r);
    } catch (SerializationException e) {
      return setAside(r, LearnerService.UNDECODABLE_BATCH, e.getMessage(), learner, deadLetters);
    }
    Optional<String> unusable = batch == null ? Optional.empty() : learner.unusable(batch);
    return unusable.isPresent()
        ? setAside(r, LearnerService.UNUSABLE_BATCH, unusable.get(), learner, deadLetters)
        : Optional.ofNullable(batch);
  }

  private Optional<TrainingBatch> setAside(ConsumerRecord<byte[], byte[]> r, String reason, String message,
      Learner learner, List<ProducerRecord<byte[], byte[]>> deadLetters) {
    log.warn("dead-lettering batch at offset {} ({}): {}", r.offset(), reason, message);
    reporter.metric("learner.dead_lettered_batches", 1, learner.updates(), learner.version());
    deadLetters.add(DeadLetters.of(topics, r, reason, message));
    return Optional.empty();
  }
}
