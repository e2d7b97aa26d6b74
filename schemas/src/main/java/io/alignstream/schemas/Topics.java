package io.alignstream.schemas;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic of one run, bound in one place. Names are {@code alignstream.<runId>.<role>}, so
 * experiments stay apart on a shared cluster, and a run's topics can be replayed into another run.
 *
 * <p>Data topics keep their records forever ({@code retention.ms=-1}): a run is an experiment's
 * record, and replay reads it from the start. Topics that hold latest state are compacted.
 */
public final class Topics {
  /** Prefix of every alignstream topic. */
  public static final String PREFIX = "alignstream.";
  /** The run used when none is named. */
  public static final String DEFAULT_RUN = "default";
  /** Largest weight chunk payload a publisher writes, in bytes. */
  public static final int WEIGHT_CHUNK_BYTES = 1 << 20;
  /** Largest record the weight topics accept (a chunk plus its envelope), in bytes. */
  public static final int WEIGHT_RECORD_MAX_BYTES = 4 << 20;
  /**
   * Largest record the raw demonstrations topic stores, in bytes: far above any valid demonstration
   * (two 16,000-character fields are under 200 KB of JSON), and below the dead-letter topic's limit,
   * so that any stored raw record still fits there with the reason headers added. A larger record is
   * refused by the broker (or the producer) and the sender is told why.
   */
  public static final int RAW_RECORD_MAX_BYTES = 1 << 20;
  /** Partitions of the topics samplers and rewarders consume: the most replicas that can share them. */
  public static final int SAMPLE_PARTITIONS = 6;
  /**
   * Partitions of the weight-chunk topic: one per model line the learner publishes, so a subscriber
   * fetches only the chunks of the lines it watches (see {@link #weightChunkPartition}).
   */
  public static final int WEIGHT_CHUNK_PARTITIONS = 4;
  /** The model lines with a partition of their own, in partition order. */
  private static final List<String> LINES_BY_PARTITION =
      List.of(ModelLines.POLICY, ModelLines.REWARD, ModelLines.BASE, ModelLines.SFT);

  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  private static final Map<String, String> KEEP_FOREVER = Map.of("retention.ms", "-1");
  private static final Map<String, String> LATEST_PER_KEY = Map.of(
      "cleanup.policy", "compact",
      // Let readers that are mid-way through a version finish before older records are compacted.
      "min.compaction.lag.ms", "60000");

  private static final Serde<String> STRING = Serdes.String();
  private static final Serde<byte[]> BYTES = Serdes.ByteArray();

  private final String runId;
  /** Raw JSON demonstrations from any Kafka client; validated by the producer's topology. */
  public final Topic<byte[], byte[]> demosRaw;
  /**
   * Records set aside, unchanged, with the reason and source offset in headers ({@link DeadLetters}):
   * raw demonstrations the validator rejected, and prompts a sampler could not sample.
   */
  public final Topic<byte[], byte[]> deadLetters;
  /** Validated demonstrations keyed by content id (compacted: producing twice does not duplicate). */
  public final Topic<String, Demonstration> demonstrations;
  /** Prompts for the samplers, keyed by prompt id. */
  public final Topic<String, Prompt> prompts;
  /** Sampler output: K generations per prompt with behaviour log-probs, keyed by prompt id. */
  public final Topic<String, Generation> generations;
  /** Demonstrations and generations with rewards, keyed by prompt id. */
  public final Topic<String, ScoredSample> scored;
  /** Per-prompt groups of scored samples for the learner, keyed by prompt id. */
  public final Topic<String, TrainingBatch> batches;
  /** Latest manifest of each model line, keyed by model name (compacted). */
  public final Topic<String, ModelVersion> modelVersions;
  /** Weight chunks keyed by {@code <modelName>/<index>} (compacted: the latest version remains). */
  public final Topic<String, WeightChunk> weightChunks;
  /** Metrics of every service, keyed by source. */
  public final Topic<String, Metric> metrics;
  /** Run events for people and dashboards, keyed by source. */
  public final Topic<String, RunEvent> events;

  private Topics(String runId) {
    this.runId = runId;
    String p = prefix(runId);
    demosRaw = new Topic<>(p + "demos.raw", BYTES, BYTES, 3, withMaxBytes(KEEP_FOREVER, RAW_RECORD_MAX_BYTES));
    // A raw record at the raw limit plus the reason headers: a dead letter that did not fit would stop ingest.
    deadLetters = new Topic<>(p + "demos.dead-letter", BYTES, BYTES, 1,
        withMaxBytes(KEEP_FOREVER, WEIGHT_RECORD_MAX_BYTES));
    demonstrations = new Topic<>(p + "demonstrations", STRING, AvroSerde.of(Demonstration.class), 3,
        Map.of("cleanup.policy", "compact"));
    prompts = new Topic<>(p + "prompts", STRING, AvroSerde.of(Prompt.class), SAMPLE_PARTITIONS, KEEP_FOREVER);
    generations = new Topic<>(p + "generations", STRING, AvroSerde.of(Generation.class), SAMPLE_PARTITIONS,
        KEEP_FOREVER);
    scored = new Topic<>(p + "scored", STRING, AvroSerde.of(ScoredSample.class), SAMPLE_PARTITIONS, KEEP_FOREVER);
    // One partition: the single learner reads batches in one recorded order, so a replay is deterministic.
    batches = new Topic<>(p + "batches", STRING, AvroSerde.of(TrainingBatch.class), 1, KEEP_FOREVER);
    var weights = new HashMap<>(LATEST_PER_KEY);
    weights.put("max.message.bytes", Integer.toString(WEIGHT_RECORD_MAX_BYTES));
    // One manifest partition: readers see every line's versions in publication order. A line's chunks
    // stay in order on its own partition (weightChunkPartition), and the manifest points at the first.
    modelVersions = new Topic<>(p + "model-versions", STRING, AvroSerde.of(ModelVersion.class), 1, weights);
    weightChunks = new Topic<>(p + "weight-chunks", STRING, AvroSerde.of(WeightChunk.class), WEIGHT_CHUNK_PARTITIONS,
        weights);
    metrics = new Topic<>(p + "metrics", STRING, AvroSerde.of(Metric.class), 1, KEEP_FOREVER);
    events = new Topic<>(p + "events", STRING, AvroSerde.of(RunEvent.class), 1, KEEP_FOREVER);
  }

  private static Map<String, String> withMaxBytes(Map<String, String> configs, int maxBytes) {
    var out = new HashMap<>(configs);
    out.put("max.message.bytes", Integer.toString(maxBytes));
    return Map.copyOf(out);
  }

  /** The topics of run {@code runId}; the id is letters, digits, '-' and '_' (at most 64). */
  public static Topics forRun(String runId) {
    if (runId == null || !RUN_ID.matcher(runId).matches()) {
      throw new IllegalArgumentException("run id '" + runId
          + "' is not valid: use 1 to 64 letters, digits, '-' or '_', starting with a letter or digit");
    }
    return new Topics(runId);
  }

  public static String prefix(String runId) {
    return PREFIX + runId + ".";
  }

  /**
   * The partition of the weight-chunk topic that holds every chunk of {@code modelName}, when the
   * topic has {@code partitionCount} partitions: publisher and subscribers both ask here. The four
   * {@link ModelLines} get one each; other names share them by a stable hash. A run created before
   * the topic had a partition per line has 1 partition: everything maps to partition 0, as it was.
   */
  public static int weightChunkPartition(String modelName, int partitionCount) {
    if (partitionCount < 1) {
      throw new IllegalArgumentException("a topic has at least one partition, got " + partitionCount);
    }
    int line = LINES_BY_PARTITION.indexOf(modelName);
    if (line < 0) {
      // String.hashCode is specified by the language, so every JVM maps a name to the same partition.
      line = Math.floorMod(modelName.hashCode(), WEIGHT_CHUNK_PARTITIONS);
    }
    return line % partitionCount;
  }

  /** The run a topic name belongs to, if it is an alignstream topic. */
  public static Optional<String> runOf(String topicName) {
    if (!topicName.startsWith(PREFIX)) {
      return Optional.empty();
    }
    int dot = topicName.indexOf('.', PREFIX.length());
    return dot < 0 ? Optional.empty() : Optional.of(topicName.substring(PREFIX.length(), dot));
  }

  public String runId() {
    return runId;
  }

  /** Every topic of the run, in pipeline order. */
  public List<Topic<?, ?>> all() {
    return List.of(demosRaw, deadLetters, demonstrations, prompts, generations, scored, batches,
        modelVersions, weightChunks, metrics, events);
  }

  /** The topic whose full name or role suffix (e.g. {@code generations}) is {@code nameOrRole}. */
  public Optional<Topic<?, ?>> find(String nameOrRole) {
    return all().stream()
        .filter(t -> t.name().equals(nameOrRole) || t.name().equals(prefix(runId) + nameOrRole))
        .findFirst();
  }
}
