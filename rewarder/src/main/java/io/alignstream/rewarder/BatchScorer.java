package io.alignstream.rewarder;

import io.alignstream.model.Example;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardScorer;
import io.alignstream.runtime.LiveModel;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rewarder's transform of one micro-batch: decodes demonstration and generation records, scores
 * every valid one with one ensemble call at one version, and returns the {@link ScoredSample} records
 * (keyed by promptId, in input order) plus what was skipped and why. Records that do not decode, or
 * that the model cannot score (see {@link ScoringInput#unfit}), are logged with their offset and
 * dead-lettered with the reason ({@link DeadLetters}); nothing here throws on bad input, so a poison
 * record can never stall the group, and nothing is lost.
 */
final class BatchScorer {
  private static final Logger log = LoggerFactory.getLogger(BatchScorer.class);

  enum Reason {
    /** Not a Demonstration/Generation record (corrupt bytes, wrong schema, empty value). */
    UNDECODABLE("undecodable-sample"),
    /** Decodes, but the reward model cannot score it (empty, too long for the context, bad ids). */
    UNFIT("unscorable-sample");

    /** The dead letter's {@link DeadLetters#REASON}. */
    final String code;

    Reason(String code) {
      this.code = code;
    }
  }

  record Skipped(String topic, int partition, long offset, Reason reason, String detail) {
    @Override
    public String toString() {
      return topic + "-" + partition + "@" + offset + " " + reason + ": " + detail;
    }
  }

  /**
   * What one micro-batch produced; {@code scored} and {@code records} are parallel lists, and
   * {@code deadLetters} holds the skipped records, in the order of {@code skipped}.
   */
  record Result(List<ScoredSample> scored, List<ProducerRecord<byte[], byte[]>> records, List<Skipped> skipped,
      List<ProducerRecord<byte[], byte[]>> deadLetters, long version, long nanos) {
    /** Everything the batch's transaction sends: the scored samples, then the dead letters. */
    List<ProducerRecord<byte[], byte[]>> toSend() {
      List<ProducerRecord<byte[], byte[]>> all = new ArrayList<>(records);
      all.addAll(deadLetters);
      return all;
    }
  }

  private final Topics topics;

  BatchScorer(Topics topics) {
    this.topics = topics;
  }

  Result score(List<ConsumerRecord<byte[], byte[]>> batch, LiveModel.Version<RewardScorer> model) {
    long t0 = System.nanoTime();
    List<ScoringInput> inputs = new ArrayList<>(batch.size());
    List<Skipped> skipped = new ArrayList<>();
    List<ProducerRecord<byte[], byte[]>> dead = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : batch) {
      ScoringInput input;
      try {
        input = decode(record, model);
      } catch (RuntimeException e) { // SerializationException, or an Avro error on a truncated record
        skip(record, Reason.UNDECODABLE, e.toString(), skipped, dead);
        continue;
      }
      if (input == null) {
        skip(record, Reason.UNDECODABLE, record.value() == null ? "empty record" : "unknown topic", skipped, dead);
        continue;
      }
      Optional<String> unfit = input.unfit(model.config());
      if (unfit.isPresent()) {
        skip(record, Reason.UNFIT, input.kind() + " " + input.id() + ": " + unfit.get(), skipped, dead);
        continue;
      }
      inputs.add(input);
    }
    List<ScoredSample> scored = new ArrayList<>(inputs.size());
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(inputs.size());
    if (!inputs.isEmpty()) {
      List<Example> examples = inputs.stream().map(ScoringInput::example).toList();
      RewardEnsemble.Scores s = model.model().score(examples); // (members, batch)
      long now = System.currentTimeMillis();
      int members = s.perMember().length;
      for (int i = 0; i < inputs.size(); i++) {
        double[] rewards = new double[members];
        for (int k = 0; k < members; k++) {
          rewards[k] = s.perMember()[k][i];
        }
        ScoringInput in = inputs.get(i);
        ScoredSample sample = in.scored(rewards, s.mean()[i], s.std()[i], model.version(), now);
        scored.add(sample);
        out.add(topics.scored.record(in.promptId(), sample));
      }
    }
    return new Result(scored, out, skipped, dead, model.version(), System.nanoTime() - t0);
  }

  /** The input a record holds, or null when its topic is not one the rewarder reads or it is empty. */
  private ScoringInput decode(ConsumerRecord<byte[], byte[]> record, LiveModel.Version<RewardScorer> model) {
    if (record.value() == null) {
      return null;
    }
    if (record.topic().equals(topics.demonstrations.name())) {
      Demonstration d = topics.demonstrations.value(record);
      return d == null ? null : ScoringInput.of(d, model.tokenizer());
    }
    if (record.topic().equals(topics.generations.name())) {
      Generation g = topics.generations.value(record);
      return g == null ? null : ScoringInput.of(g);
    }
    return null;
  }

  private void skip(ConsumerRecord<byte[], byte[]> record, Reason reason, String detail, List<Skipped> skipped,
      List<ProducerRecord<byte[], byte[]>> dead) {
    Skipped s = new Skipped(record.topic(), record.partition(), record.offset(), reason, detail);
    log.warn("skipped {}", s);
    skipped.add(s);
    dead.add(DeadLetters.of(topics, record, reason.code, detail));
  }
}
