package io.alignstream.runtime;

import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.schemas.Topics;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Not a test: weight sync through Kafka. For checkpoints of several sizes, the time from the start of
 * the publishing transaction to a running {@link WeightSubscriber} delivering the verified payload
 * (chunks, manifest, commit, fetch, checksums, assembly), and the resulting MB/s, on an embedded
 * broker. Run with {@code bench/weights/run.sh}.
 */
public final class WeightSyncBenchmark {
  public static void main(String[] args) throws Exception {
    int[] megabytes = {2, 32, 128};
    int repeats = 3;
    var dir = Files.createTempDirectory("weights-bench-");
    try (EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(dir.resolve("kafka")))) {
      var kafka = broker.connection();
      Topics topics = Topics.forRun("weights-bench");
      try (TopicAdmin admin = TopicAdmin.open(kafka)) {
        admin.ensure(topics);
      }
      Map<String, Object> p = new HashMap<>(kafka.transactionalProducerConfig("weights-bench"));
      p.putAll(WeightPublisher.producerOverrides());
      long[] delivered = {-1};
      try (var producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
          var subscriber = new WeightSubscriber(new KafkaConsumer<>(kafka.readerConfig("weights-bench"),
              new ByteArrayDeserializer(), new ByteArrayDeserializer()), topics, Set.of("policy"),
              w -> delivered[0] = w.version(), Duration.ofMinutes(2)).start()) {
        producer.initTransactions();
        var publisher = new WeightPublisher(producer, topics);
        System.out.println("| checkpoint | publish → delivered, ms (best of " + repeats + ") | MB/s |");
        System.out.println("|---|---|---|");
        long version = 0;
        for (int mb : megabytes) {
          byte[] payload = new byte[mb << 20];
          new Random(mb).nextBytes(payload); // incompressible, like trained weights
          double best = Double.MAX_VALUE;
          for (int r = 0; r < repeats; r++) {
            version++;
            long t0 = System.nanoTime();
            producer.beginTransaction();
            publisher.publish("policy", version, payload, "{}", "", 0, Map.of());
            producer.commitTransaction();
            if (!subscriber.awaitVersion("policy", version, Duration.ofMinutes(2))) {
              throw new IllegalStateException("v" + version + " not delivered: " + subscriber.deliveries().lastRejection());
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
          }
          System.out.printf(Locale.ROOT, "| %d MiB | %.0f | %.0f |%n", mb, best, mb / (best / 1000));
        }
      }
    }
  }
}
