package io.alignstream.sampler;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.runtime.WeightPublisher;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.RunEvent;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.TopicReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What the rest of the pipeline gives a sampler, for integration tests without the learner: a tiny
 * model line on the weight topics (a word-level tokenizer and a tiny random GPT, published like the
 * learner does) and prompts on the prompt topic; plus readers of what the samplers wrote.
 */
final class UpstreamStub implements AutoCloseable {
  static final String CORPUS = "the cat sat on the mat . a dog ran to the park and the bird sang in a tree ; "
      + "what did the cat see ? the dog saw a bird , then the sun rose over the hill";

  final KafkaConnection kafka;
  final Topics topics;
  final Path dir;
  final Tokenizer tokenizer;
  final ModelConfig config;
  private final String tokenizerJson;
  private final String configJson;
  private final KafkaProducer<byte[], byte[]> weights;
  private final KafkaProducer<byte[], byte[]> prompts;

  UpstreamStub(KafkaConnection kafka, Topics topics) throws IOException {
    this(kafka, topics, t -> Gpt2Config.tiny(t.vocabSize(), t.eosId()));
  }

  /** As {@link #UpstreamStub(KafkaConnection, Topics)} with a model of the shape {@code shape} gives for the tokenizer. */
  UpstreamStub(KafkaConnection kafka, Topics topics, java.util.function.Function<Tokenizer, ModelConfig> shape)
      throws IOException {
    this.kafka = kafka;
    this.topics = topics;
    this.dir = Files.createTempDirectory("sampler-it-");
    Path tokenizerFile = new WordLevelTokenizerBuilder(64).add(CORPUS).write(dir.resolve(Tokenizer.FILE_NAME));
    this.tokenizer = Tokenizer.load(tokenizerFile);
    this.config = shape.apply(tokenizer);
    config.write(dir.resolve(ModelConfig.FILE_NAME));
    this.tokenizerJson = Files.readString(tokenizerFile);
    this.configJson = Files.readString(dir.resolve(ModelConfig.FILE_NAME));
    Map<String, Object> wp = new HashMap<>(kafka.transactionalProducerConfig("it-learner-" + UUID.randomUUID()));
    wp.putAll(WeightPublisher.producerOverrides());
    this.weights = new KafkaProducer<>(wp, new ByteArraySerializer(), new ByteArraySerializer());
    weights.initTransactions();
    this.prompts = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Publishes random weights (seeded by the version) as {@code version} of {@code line}, in one transaction. */
  void publishVersion(String line, long version) {
    publishVersion(line, version, Map.of());
  }

  /** As {@link #publishVersion(String, long)}, with the manifest's metadata (what the learner advertises). */
  void publishVersion(String line, long version, Map<String, String> metadata) {
    publishWeights(line, version, randomWeights(version), metadata);
  }

  /** The weights {@link #publishVersion} publishes as {@code version}: a tiny random policy, seeded by it. */
  byte[] randomWeights(long version) {
    try (Policy policy = Policy.create(config, 1000 + version)) {
      return policy.weightsToBytes();
    }
  }

  /** Publishes {@code payload} as {@code version} of {@code line} in one transaction, as the learner does. */
  void publishWeights(String line, long version, byte[] payload, Map<String, String> metadata) {
    weights.beginTransaction();
    new WeightPublisher(weights, topics).publish(line, version, payload, configJson, tokenizerJson, 0, metadata);
    weights.commitTransaction();
  }

  /**
   * Publishes a LoRA adapter ({@code policy.adapterToBytes()}) as {@code version} of {@code line}, over the
   * {@code base} line, in one transaction, as the learner does with lora.rank > 0.
   */
  void publishAdapter(String line, long version, Policy adapted, Map<String, String> metadata) {
    Map<String, String> meta = new HashMap<>(metadata);
    meta.put(PublishedWeights.ADAPTER_CONFIG, adapted.adapterConfigJson());
    meta.put(PublishedWeights.ADAPTER_BASE, "base");
    weights.beginTransaction();
    new WeightPublisher(weights, topics).publish(line, version, PublishedWeights.ADAPTER, adapted.adapterToBytes(),
        configJson, tokenizerJson, 0, meta);
    weights.commitTransaction();
  }

  /** Publishes prompts {@code from..to-1} (texts from the corpus) at {@code round}; returns their ids. */
  List<String> publishPrompts(int from, int to, int round) {
    String[] words = CORPUS.split(" ");
    var ids = new java.util.ArrayList<String>();
    for (int i = from; i < to; i++) {
      StringBuilder text = new StringBuilder("prompt " + i + " :");
      for (int w = 0; w < 1 + i % 5; w++) {
        text.append(' ').append(words[(i * 7 + w * 3) % words.length]);
      }
      String id = ContentId.ofPrompt(text.toString());
      publish(Prompt.newBuilder().setPromptId(id).setText(text.toString()).setRound(round)
          .setCreatedAtMs(System.currentTimeMillis()).build());
      ids.add(id);
    }
    prompts.flush();
    return ids;
  }

  /**
   * As {@link #publishPrompts}, but as a transactional writer such as the ingest topology does: each
   * prompt in its own committed transaction, each followed by an aborted one, so the prompt topic holds
   * three offsets per prompt (the prompt, its commit marker, an aborted record with its abort marker).
   */
  List<String> publishPromptsInTransactions(int from, int to, int round) {
    List<String> ids = new java.util.ArrayList<>();
    try (var tx = new KafkaProducer<>(kafka.transactionalProducerConfig("it-ingest-" + UUID.randomUUID()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      tx.initTransactions();
      for (int i = from; i < to; i++) {
        String text = "prompt " + i + " : the cat saw a dog";
        String id = ContentId.ofPrompt(text);
        Prompt prompt = Prompt.newBuilder().setPromptId(id).setText(text).setRound(round)
            .setCreatedAtMs(System.currentTimeMillis()).build();
        tx.beginTransaction();
        tx.send(topics.prompts.record(id, prompt));
        tx.commitTransaction();
        tx.beginTransaction();
        tx.send(topics.prompts.record(id, prompt));
        tx.flush();
        tx.abortTransaction();
        ids.add(id);
      }
    }
    return ids;
  }

  void publish(Prompt prompt) {
    prompts.send(topics.prompts.record(prompt.getPromptId(), prompt));
    prompts.flush();
  }

  /** A record on the prompt topic that is not a Prompt. */
  void publishGarbage() {
    prompts.send(new ProducerRecord<>(topics.prompts.name(), "junk".getBytes(), new byte[] {1, 2, 3, 4, 5}));
    prompts.flush();
  }

  List<Generation> generations() {
    return TopicReader.readCommitted(kafka, topics.generations).stream().map(ConsumerRecord::value).toList();
  }

  /** What the samplers dead-lettered (committed), with the reason headers. */
  List<ConsumerRecord<byte[], byte[]>> deadLetters() {
    return TopicReader.readCommitted(kafka, topics.deadLetters);
  }

  List<Metric> metrics() {
    return TopicReader.readCommitted(kafka, topics.metrics).stream().map(ConsumerRecord::value).toList();
  }

  /** Mean of metric {@code name} over every report of it. */
  double meanMetric(String name) {
    return metrics().stream().filter(m -> m.getName().equals(name)).mapToDouble(Metric::getValue).average().orElse(Double.NaN);
  }

  List<RunEvent> events() {
    return TopicReader.readCommitted(kafka, topics.events).stream().map(ConsumerRecord::value).toList();
  }

  /** Waits until the committed generations satisfy {@code done}; returns them either way. */
  List<Generation> awaitGenerations(Predicate<List<Generation>> done, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Generation> seen = generations();
    while (!done.test(seen) && System.nanoTime() < deadline) {
      Thread.sleep(250);
      seen = generations();
    }
    return seen;
  }

  /** Waits until an event of {@code kind} from {@code samplerId} with {@code attribute=value} is committed. */
  boolean awaitEvent(String kind, String samplerId, String attribute, String value, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (RunEvent e : events()) {
        if (e.getKind().equals(kind) && e.getSource().equals(samplerId)
            && value.equals(e.getAttributes().get(attribute))) {
          return true;
        }
      }
      Thread.sleep(250);
    }
    return false;
  }

  /**
   * Members of {@code group} once it is stable, each owning some partitions; -1 while it rebalances (a
   * member counted during a rebalance may not have its partitions yet).
   */
  int settledMembers(String group) throws Exception {
    try (Admin admin = kafka.admin()) {
      ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      if (d.members().isEmpty()) {
        return 0;
      }
      boolean settled = d.groupState() == GroupState.STABLE
          && d.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
      return settled ? d.members().size() : -1;
    } catch (java.util.concurrent.ExecutionException e) {
      return 0; // not created yet, or already deleted
    }
  }

  void awaitSettledMembers(String group, int n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (settledMembers(group) != n && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
    if (settledMembers(group) != n) {
      throw new AssertionError("group " + group + " did not settle with " + n + " members");
    }
  }

  @Override
  public void close() throws IOException {
    weights.close();
    prompts.close();
    tokenizer.close();
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }
}
