package io.alignstream.producer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.ScratchDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Demonstrations per second through the validating ingest topology on the embedded broker.
 *
 * <p>Loads N raw records (HH training rows, each made unique by a suffix, so every one is a new
 * demonstration: the most work per record) into the raw topic, then starts the {@link IngestService}
 * and times it until every record is decided and the outputs are committed. Run with
 * {@code bench/ingest/run.sh [records]}.
 */
public final class IngestBenchmark {
  private IngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path hh = Await.hhData().resolve("train.jsonl");
    List<String> rows = Files.readAllLines(hh, StandardCharsets.UTF_8);
    var json = new ObjectMapper();
    List<byte[]> values = new ArrayList<>(records);
    long bytes = 0;
    for (int i = 0; i < records; i++) {
      ObjectNode row = (ObjectNode) json.readTree(rows.get(i % rows.size()));
      ObjectNode out = json.createObjectNode();
      out.put("prompt", row.get("prompt").asText());
      out.put("response", row.get("label").asText() + " (#" + i + ")");
      out.put("source", "bench:" + i);
      byte[] v = out.toString().getBytes(StandardCharsets.UTF_8);
      values.add(v);
      bytes += v.length;
    }
    // CPU cost of the per-record work alone (decode, parse, check, ids, Avro), without Kafka: the ceiling.
    var validator = new DemonstrationValidator(IngestConfig.defaults());
    var avro = Topics.forRun("bench").demonstrations.valueSerde().serializer();
    double validateS = 0;
    for (int round = 0; round < 3; round++) { // the first rounds warm the JIT up
      long tv = System.nanoTime();
      for (byte[] v : values) {
        var checked = (DemonstrationValidator.Accepted) validator.validate(v, "bench", 0L);
        avro.serialize("t", checked.demonstration());
      }
      validateS = seconds(tv);
    }
    try (ScratchDirectory scratch = ScratchDirectory.create("alignstream-bench-");
        EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(scratch.resolve("kafka")))) {
      KafkaConnection kafka = broker.connection();
      Topics topics = Topics.forRun("bench-" + System.currentTimeMillis());
      try (TopicAdmin admin = TopicAdmin.open(kafka)) {
        admin.ensure(topics);
      }

      // Load the raw topic first, so the topology's rate is not bounded by the sender.
      long t0 = System.nanoTime();
      Map<String, Object> pc = new HashMap<>(kafka.producerConfig());
      pc.put("linger.ms", "10");
      pc.put("batch.size", Integer.toString(256 * 1024));
      // One request in flight comes from KafkaConnection.producerConfig() (see there why).
      try (var producer = new KafkaProducer<byte[], byte[]>(pc, topics.demosRaw.keySerde().serializer(),
          topics.demosRaw.valueSerde().serializer())) {
        for (byte[] v : values) {
          producer.send(new ProducerRecord<>(topics.demosRaw.name(), v));
        }
        producer.flush();
      }
      double loadS = seconds(t0);

      long t1 = System.nanoTime();
      Duration commit = Duration.ofMillis(Long.getLong("bench.commitMs", 100));
      IngestConfig base = IngestConfig.defaults();
      IngestConfig config = new IngestConfig(base.maxPromptChars(), base.maxResponseChars(), base.maxPromptTokens(),
          base.maxResponseTokens(), commit, scratch.resolve("state"));
      try (IngestService ingest = IngestService.start(kafka, topics, config)) {
        ingest.awaitRunning(Duration.ofSeconds(120));
        double startS = seconds(t1);
        long t2 = System.nanoTime();
        while (ingest.counts().total() < records) {
          Thread.sleep(5);
        }
        double processS = seconds(t2);
        // Exactly-once: outputs count once committed; wait until the demonstrations topic shows them all.
        awaitVisible(kafka, topics.demonstrations, records);
        double committedS = seconds(t2);
        System.out.printf(Locale.ROOT, "records=%d avg_bytes=%d cores=%d commit_interval=%d ms load_average=%.1f%n",
            records, bytes / records, Runtime.getRuntime().availableProcessors(), commit.toMillis(),
            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(Locale.ROOT, "validate + Avro only (one thread, no Kafka): %,.0f records/s%n", records / validateS);
        System.out.printf(Locale.ROOT, "load raw topic: %.2f s = %,.0f records/s%n", loadS, records / loadS);
        System.out.printf(Locale.ROOT, "ingest start (to RUNNING): %.2f s%n", startS);
        System.out.printf(Locale.ROOT, "ingest processed: %.2f s = %,.0f demonstrations/s%n", processS, records / processS);
        System.out.printf(Locale.ROOT, "ingest committed (demonstrations visible): %.2f s = %,.0f demonstrations/s%n",
            committedS, records / committedS);
        System.out.printf(Locale.ROOT, "counts: %s%n", ingest.counts());
        System.out.println();
        System.out.println("| records | validate + Avro, 1 thread, no Kafka (records/s) | start to RUNNING (s) "
            + "| ingest processed (demonstrations/s) | committed and visible (demonstrations/s) | ingest / ceiling |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.printf(Locale.ROOT, "| %,d | %,.0f | %.1f | %,.0f | %,.0f | %.2f |%n", records, records / validateS,
            startS, records / processS, records / committedS, validateS / processS);
      }
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  /** Counts the records a read_committed consumer sees on {@code topic} until there are {@code n}. */
  private static void awaitVisible(KafkaConnection kafka, Topic<?, ?> topic, long n) {
    Map<String, Object> cc = new HashMap<>(kafka.consumerConfig("bench-reader"));
    cc.put("enable.auto.commit", "false");
    try (var consumer = new KafkaConsumer<byte[], byte[]>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic.name()).stream()
          .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long seen = 0;
      while (seen < n) {
        seen += consumer.poll(Duration.ofMillis(100)).count();
      }
    }
  }
}
