package io.alignstream.learner;

import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups the scored samples of each prompt into training batches: the K generations of one
 * (prompt, round, policy line), with the prompt's scored demonstration first when one is known.
 * A batch is emitted as soon as its K-th generation arrives, or incomplete after
 * {@link BatchingConfig#maxWait} (wall-clock), so a lost or slow sampler never stalls the learner.
 *
 * <p>Input and output are keyed by prompt id, so a prompt's demonstration and generations meet in
 * the same partition and task; state lives in two changelogged stores.
 */
public final class BatchingTopology {
  private static final Logger log = LoggerFactory.getLogger(BatchingTopology.class);
  static final String DEMONSTRATIONS_STORE = "scored-demonstrations";
  static final String PENDING_STORE = "pending-batches";

  /** Dead-letter reason of a scored record that does not decode. */
  public static final String UNDECODABLE = "undecodable-scored-sample";

  private BatchingTopology() {}

  /**
   * The Streams settings the topology needs besides the connection's. A scored record that does not
   * decode is dead-lettered and skipped: Streams' default fails the thread, which is replaced, reads
   * the same record and fails again, so one bad record would stop batching for good.
   */
  public static Properties streamsProperties(Topics topics) {
    Properties p = new Properties();
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLettering.class.getName());
    p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.deadLetters.name());
    return p;
  }

  /**
   * Writes an undecodable record to the dead-letter topic with the run's {@link DeadLetters} headers,
   * in the task's transaction, and goes on. Streams' own dead-letter records carry other headers, which
   * {@code alignstream demo} and {@code export} would not count.
   */
  public static final class DeadLettering implements DeserializationExceptionHandler {
    private String deadLetterTopic;

    @Override
    public void configure(Map<String, ?> configs) {
      deadLetterTopic = (String) configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
      if (deadLetterTopic == null) {
        throw new IllegalArgumentException(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
            + " is not set: use BatchingTopology.streamsProperties");
      }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception e) {
      log.warn("dead-lettering undecodable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
          e.getMessage());
      return Response.resume(List.of(DeadLetters.of(deadLetterTopic, record, UNDECODABLE, e.getMessage())));
    }
  }

  public static Topology build(Topics topics, BatchingConfig config) {
    StreamsBuilder builder = new StreamsBuilder();
    var sampleSerde = topics.scored.valueSerde();
    var batchSerde = topics.batches.valueSerde();
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(DEMONSTRATIONS_STORE), Serdes.String(), sampleSerde));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(PENDING_STORE), Serdes.String(), batchSerde));
    builder.stream(topics.scored.name(), Consumed.with(topics.scored.keySerde(), sampleSerde))
        .process(() -> new Grouper(config), DEMONSTRATIONS_STORE, PENDING_STORE)
        .to(topics.batches.name(), Produced.with(topics.batches.keySerde(), batchSerde));
    return builder.build();
  }

  /** Group key of a generation: one batch per prompt, round and policy line. */
  static String groupOf(ScoredSample s) {
    return s.getPromptId() + "/" + s.getRound() + "/" + s.getPolicyName();
  }

  private static final class Grouper extends ContextualProcessor<String, ScoredSample, String, TrainingBatch> {
    private final BatchingConfig config;
    private KeyValueStore<String, ScoredSample> demonstrations;
    private KeyValueStore<String, TrainingBatch> pending;

    Grouper(BatchingConfig config) {
      this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, TrainingBatch> context) {
      super.init(context);
      this.demonstrations = context.getStateStore(DEMONSTRATIONS_STORE);
      this.pending = context.getStateStore(PENDING_STORE);
      Duration every = config.maxWait().dividedBy(4).compareTo(Duration.ofMillis(100)) < 0
          ? Duration.ofMillis(100) : config.maxWait().dividedBy(4);
      context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::emitOverdue);
    }

    @Override
    public void process(Record<String, ScoredSample> record) {
      ScoredSample sample = record.value();
      if (sample == null) {
        return;
      }
      if (sample.getKind() == SampleKind.DEMONSTRATION) {
        demonstrations.put(sample.getPromptId(), sample);
        return;
      }
      String group = groupOf(sample);
      TrainingBatch batch = pending.get(group);
      if (batch == null) {
        batch = TrainingBatch.newBuilder().setId(group).setPromptId(sample.getPromptId())
            .setRound(sample.getRound()).setSamples(new ArrayList<>()).setComplete(false)
            // Until emitted, createdAtMs is when the group opened: the time bound counts from it.
            .setCreatedAtMs(context().currentSystemTimeMs()).build();
      }
      List<ScoredSample> samples = new ArrayList<>(batch.getSamples());
      samples.removeIf(s -> s.getId().equals(sample.getId())); // a redelivered sample counts once
      samples.add(sample);
      batch.setSamples(samples);
      if (samples.size() >= config.samplesPerPrompt()) {
        pending.delete(group);
        emit(batch, true);
      } else {
        pending.put(group, batch);
      }
    }

    private void emitOverdue(long nowMs) {
      List<KeyValue<String, TrainingBatch>> overdue = new ArrayList<>();
      try (var it = pending.all()) {
        it.forEachRemaining(kv -> {
          if (nowMs - kv.value.getCreatedAtMs() >= config.maxWait().toMillis()) {
            overdue.add(kv);
          }
        });
      }
      for (var kv : overdue) {
        pending.delete(kv.key);
        emit(kv.value, false);
      }
    }

    private void emit(TrainingBatch batch, boolean complete) {
      List<ScoredSample> samples = new ArrayList<>();
      ScoredSample demo = demonstrations.get(batch.getPromptId());
      if (demo != null) {
        samples.add(demo);
      }
      samples.addAll(batch.getSamples());
      TrainingBatch out = TrainingBatch.newBuilder(batch).setSamples(samples).setComplete(complete)
          .setCreatedAtMs(context().currentSystemTimeMs()).build();
      context().forward(new Record<>(batch.getPromptId(), out, context().currentSystemTimeMs()));
    }
  }
}
