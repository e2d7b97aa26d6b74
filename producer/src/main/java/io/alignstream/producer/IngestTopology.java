package io.alignstream.producer;

import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest topology: raw JSON demonstrations from any client in, validated Avro out.
 *
 * <pre>
 * demosRaw ─ validate ─┬─ rejected ──────────────────────────────────────────▶ deadLetters (bytes unchanged + headers)
 *                      ├─ accepted ─ repartition by id ─ first occurrence? ─┬─▶ demonstrations (key: id)
 *                      │                                                   └─ repartition by promptId ─ first prompt? ─▶ prompts (key: promptId)
 *                      └─ practice prompt ("kind": "prompt") ──────────────────┘
 * every outcome of a record with a batch header ─ count per batch ─▶ metrics ({@value #BATCH_METRIC})
 * </pre>
 *
 * <p>Contract: every raw record ends up as exactly one of accepted (one {@link Demonstration} and
 * one {@link Prompt} if no demonstration of the same prompt came before: samplers answer each prompt
 * once per round, however many demonstrations it has), duplicate (nothing new: its content id was seen before, in this run, from any
 * file or client), or rejected (the same key and value bytes, and the original headers, on the
 * dead-letter topic, with the {@code alignstream.dlq.*} headers added). Duplicates are found by
 * content id after repartitioning by it, so they are caught whichever raw partition they arrived on.
 * Records that carry a {@value #BATCH} header (as {@code alignstream produce} sends them) are also
 * counted per batch, so the sender can learn the verdict on what it sent.
 */
public final class IngestTopology {
  private static final Logger log = LoggerFactory.getLogger(IngestTopology.class);

  /** Optional header on raw records: an id the sender gives to a batch, to be told how it went. */
  public static final String BATCH = "alignstream.batch";

  /** Name of the per-batch metric; its tags hold {@code batch}, {@code accepted}, {@code duplicate}, {@code rejected}. */
  public static final String BATCH_METRIC = "ingest.batch.records";
  /** The metric's source. */
  public static final String METRIC_SOURCE = "ingest";

  static final String SEEN_STORE = "ingest-seen-demonstrations";
  static final String BATCH_COUNTS_STORE = "ingest-batch-counts";
  static final String SEEN_PROMPTS_STORE = "ingest-seen-prompts";

  private IngestTopology() {}

  /** A rejected record: the original bytes, to be written back unchanged. */
  record DeadLetter(byte[] key, byte[] value) {}

  /** A demonstration after deduplication. */
  record Deduplicated(Demonstration demonstration, boolean first) {}

  public static Topology build(Topics topics, IngestConfig config) {
    return build(topics, config, new IngestCounts());
  }

  /** Builds the topology; {@code counts} receives this process's running totals. */
  public static Topology build(Topics topics, IngestConfig config, IngestCounts counts) {
    Serde<String> strings = Serdes.String();
    Serde<Demonstration> demos = topics.demonstrations.valueSerde();
    var validator = new DemonstrationValidator(config);

    StreamsBuilder builder = new StreamsBuilder();
    StoreBuilder<KeyValueStore<String, Long>> seen = Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(SEEN_STORE), strings, Serdes.Long());
    builder.addStateStore(seen);
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(SEEN_PROMPTS_STORE), strings, Serdes.Long()));

    KStream<String, Object> checked = builder
        .stream(topics.demosRaw.name(), Consumed.with(topics.demosRaw.keySerde(), topics.demosRaw.valueSerde())
            .withName("read-raw"))
        .process(() -> new Validate(validator, counts), Named.as("validate"));
    Map<String, KStream<String, Object>> routes = checked.split(Named.as("route-"))
        .branch((k, v) -> v instanceof DeadLetter, Branched.as("rejected"))
        .branch((k, v) -> v instanceof Prompt, Branched.as("practice"))
        .defaultBranch(Branched.as("accepted"));
    KStream<String, Object> practice = routes.get("route-practice");

    KStream<String, Object> rejected = routes.get("route-rejected");
    rejected
        .map((k, v) -> KeyValue.pair(((DeadLetter) v).key(), ((DeadLetter) v).value()), Named.as("original-bytes"))
        .to(topics.deadLetters.name(), Produced.with(topics.deadLetters.keySerde(), topics.deadLetters.valueSerde())
            .withName("write-dead-letters"));

    KStream<String, Object> deduplicated = routes.get("route-accepted")
        .mapValues(v -> (Demonstration) v, Named.as("as-demonstration"))
        // Same content, same id, same partition: the duplicate check sees every copy, whichever raw
        // partition (or client) it came from.
        .repartition(Repartitioned.with(strings, demos).withName("ingest-by-demonstration"))
        .process(() -> new FirstSeen<Demonstration, Object>(SEEN_STORE, Demonstration::getCreatedAtMs, (d, first) -> {
          if (first) {
            counts.accepted();
          } else {
            counts.duplicate();
          }
          return new Deduplicated(d, first);
        }), Named.as("deduplicate"), SEEN_STORE);
    KStream<String, Demonstration> firsts = deduplicated
        .filter((id, v) -> ((Deduplicated) v).first(), Named.as("new-only"))
        .mapValues(v -> ((Deduplicated) v).demonstration(), Named.as("new-demonstration"));
    firsts.to(topics.demonstrations.name(),
        Produced.with(topics.demonstrations.keySerde(), topics.demonstrations.valueSerde()).withName("write-demonstrations"));
    firsts
        .map((id, d) -> KeyValue.pair(d.getPromptId(), promptOf(d)), Named.as("prompt-of-demonstration"))
        .merge(practice.mapValues(v -> (Prompt) v, Named.as("as-prompt")), Named.as("with-practice-prompts"))
        // A second demonstration of a prompt is more training data, not another prompt to sample.
        .repartition(Repartitioned.with(strings, topics.prompts.valueSerde()).withName("ingest-by-prompt"))
        .process(() -> new FirstSeen<Prompt, Prompt>(SEEN_PROMPTS_STORE, Prompt::getCreatedAtMs,
            (p, first) -> first ? p : null), Named.as("first-prompt"), SEEN_PROMPTS_STORE)
        .to(topics.prompts.name(), Produced.with(topics.prompts.keySerde(), topics.prompts.valueSerde())
            .withName("write-prompts"));

    Serde<Metric> metrics = topics.metrics.valueSerde();
    rejected.process(() -> new Receipt("rejected"), Named.as("receipt-rejected"))
        .merge(practice.process(() -> new Receipt("accepted"), Named.as("receipt-practice")), Named.as("receipts-0"))
        .merge(deduplicated.process(() -> new Receipt(null), Named.as("receipt-deduplicated")), Named.as("receipts"))
        .groupByKey(Grouped.with("ingest-by-batch", strings, strings))
        .aggregate(() -> null, IngestTopology::count, Named.as("count-per-batch"),
            Materialized.<String, Metric, KeyValueStore<Bytes, byte[]>>as(BATCH_COUNTS_STORE)
                .withKeySerde(strings).withValueSerde(metrics))
        .toStream(Named.as("batch-counts"))
        .map((batch, m) -> KeyValue.pair(m.getSource(), m), Named.as("metric-by-source"))
        .to(topics.metrics.name(), Produced.with(topics.metrics.keySerde(), metrics).withName("write-batch-counts"));
    return builder.build();
  }

  static Prompt promptOf(Demonstration d) {
    return Prompt.newBuilder()
        .setPromptId(d.getPromptId())
        .setText(d.getPrompt())
        .setRound(0)
        .setDemonstrationId(d.getId())
        .setCreatedAtMs(d.getCreatedAtMs())
        .build();
  }

  /** Adds one outcome to a batch's counts; the metric's value is the batch's records decided so far. */
  private static Metric count(String batch, String outcome, Metric previous) {
    Map<String, String> tags = new java.util.TreeMap<>(Map.of("batch", batch, "accepted", "0", "duplicate", "0",
        "rejected", "0"));
    if (previous != null) {
      tags.putAll(previous.getTags());
    }
    tags.merge(outcome, "1", (a, b) -> Long.toString(Long.parseLong(a) + 1));
    long total = Long.parseLong(tags.get("accepted")) + Long.parseLong(tags.get("duplicate"))
        + Long.parseLong(tags.get("rejected"));
    return Metric.newBuilder()
        .setSource(METRIC_SOURCE)
        .setName(BATCH_METRIC)
        .setValue(total)
        .setStep(total)
        .setPolicyVersion(-1)
        .setTimestampMs(System.currentTimeMillis())
        .setTags(tags)
        .build();
  }

  static Optional<String> header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? Optional.empty() : Optional.of(new String(h.value(), StandardCharsets.UTF_8));
  }

  private static Headers batchOnly(Headers headers) {
    var out = new RecordHeaders();
    Header batch = headers.lastHeader(BATCH);
    if (batch != null) {
      out.add(batch);
    }
    return out;
  }

  /** Checks each raw record; forwards a {@link Demonstration} keyed by id, or a {@link DeadLetter}. */
  private static final class Validate extends ContextualProcessor<byte[], byte[], String, Object> {
    private final DemonstrationValidator validator;
    private final IngestCounts counts;
    private long rejectedHere;

    Validate(DemonstrationValidator validator, IngestCounts counts) {
      this.validator = validator;
      this.counts = counts;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      RecordMetadata meta = context().recordMetadata().orElseThrow();
      String coordinates = "topic:" + meta.topic() + "/" + meta.partition() + "@" + meta.offset();
      var checked = validator.validate(record.value(), coordinates, context().currentSystemTimeMs());
      if (checked instanceof DemonstrationValidator.AcceptedPrompt accepted) {
        counts.accepted();
        Prompt p = accepted.prompt();
        context().forward(new Record<>(p.getPromptId(), (Object) p, record.timestamp(), batchOnly(record.headers())));
        return;
      }
      if (checked instanceof DemonstrationValidator.Accepted accepted) {
        Demonstration d = accepted.demonstration();
        // The client's own headers stay behind; only the batch id travels on, for the receipt.
        context().forward(new Record<>(d.getId(), (Object) d, record.timestamp(), batchOnly(record.headers())));
        return;
      }
      var rejection = (DemonstrationValidator.Rejected) checked;
      counts.rejected();
      rejectedHere++;
      // Logged, not thrown: one bad record must never stop the replica. Sampled, so a flood stays readable.
      if (rejectedHere <= 10 || rejectedHere % 1000 == 0) {
        log.warn("rejected {} ({} so far in this task): {}: {}", coordinates, rejectedHere,
            rejection.reason().code, rejection.message());
      }
      Headers headers = DeadLetters.headers(record.headers(), rejection.reason().code, rejection.message(),
          meta.topic(), meta.partition(), meta.offset());
      context().forward(new Record<>(null, (Object) new DeadLetter(record.key(), record.value()), record.timestamp(), headers));
    }
  }

  /**
   * Remembers each key the first time it is seen (with when its value was created) and forwards what
   * {@code decide} makes of the value given whether it is the first; null forwards nothing. Keys are
   * content ids, so the first of equal contents wins, whichever raw partition or client it came from.
   */
  private static final class FirstSeen<V, O> extends ContextualProcessor<String, V, String, O> {
    private final String store;
    private final ToLongFunction<V> createdAt;
    private final BiFunction<V, Boolean, O> decide;
    private KeyValueStore<String, Long> seen;

    FirstSeen(String store, ToLongFunction<V> createdAt, BiFunction<V, Boolean, O> decide) {
      this.store = store;
      this.createdAt = createdAt;
      this.decide = decide;
    }

    @Override
    public void init(ProcessorContext<String, O> context) {
      super.init(context);
      this.seen = context.getStateStore(store);
    }

    @Override
    public void process(Record<String, V> record) {
      boolean first = seen.get(record.key()) == null;
      if (first) {
        seen.put(record.key(), createdAt.applyAsLong(record.value()));
      }
      O out = decide.apply(record.value(), first);
      if (out != null) {
        context().forward(record.withValue(out));
      }
    }
  }

  /** Turns a decided record that belongs to a batch into (batch, outcome). */
  private static final class Receipt extends ContextualProcessor<String, Object, String, String> {
    private final String fixedOutcome; // null: read it from the Deduplicated value

    Receipt(String fixedOutcome) {
      this.fixedOutcome = fixedOutcome;
    }

    @Override
    public void process(Record<String, Object> record) {
      header(record.headers(), BATCH).ifPresent(batch -> {
        String outcome = fixedOutcome != null ? fixedOutcome
            : ((Deduplicated) record.value()).first() ? "accepted" : "duplicate";
        context().forward(new Record<>(batch, outcome, record.timestamp(), new RecordHeaders()));
      });
    }
  }
}
