package io.alignstream.producer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.producer.HostileRecords.Kind;
import io.alignstream.producer.HostileRecords.Raw;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #8, hostile input: 10,000 generated bad records of every kind, mixed with valid ones, sent
 * by a plain Kafka producer through the real broker into the real ingest topology.
 *
 * <p>What is right for a value too large to store: the raw topic caps records at
 * {@link Topics#RAW_RECORD_MAX_BYTES}, so a 10 MB value is refused by the producer itself and one of
 * twice the cap by the broker, and in both cases the sender's callback gets a
 * {@link RecordTooLargeException} saying so; nothing is stored. Everything the raw topic does store
 * is decided: a bad record lands on the dead-letter topic byte for byte with its reason, a valid one
 * comes out as a demonstration, and the topology keeps running with no stream thread lost.
 */
@ExtendWith(KafkaFixture.class)
class HostileIngestIT {
  static final int HOSTILE = 10_000;
  static final int VALID = 2_000;
  static final int NEAR_CAP = 3;
  static final int REFUSED = 4;
  static final String ID = "hostile.id";
  static final String KIND = "hostile.kind";

  @TempDir
  Path state;

  @Test
  void everyBadRecordIsDeadLetteredWithItsReasonAndEveryValidOneComesThrough(KafkaConnection kafka, Topics topics)
      throws Exception {
    // Given a seeded mix of hostile and valid records, and the ingest topology running on the broker
    List<Raw> mix = new HostileRecords(8, Topics.RAW_RECORD_MAX_BYTES).mix(HOSTILE, VALID, NEAR_CAP, REFUSED);
    Map<Integer, Raw> byId = mix.stream().collect(Collectors.toMap(Raw::id, r -> r));
    Set<Integer> stored = ids(mix, r -> r.kind().hostile() && r.kind().storable());
    Set<Integer> refused = ids(mix, r -> !r.kind().storable());
    Set<Integer> valid = ids(mix, r -> !r.kind().hostile());
    assertEquals(HOSTILE, stored.size());

    try (IngestService ingest = IngestService.start(kafka, topics, IngestConfig.defaults().withStateDir(state))
        .awaitRunning(Duration.ofMinutes(2))) {

      // When a plain producer sends them all, shuffled
      Map<Integer, Exception> failed = send(kafka, topics, mix);

      // Then only the records too large to store were refused, each with the reason told to the sender
      assertEquals(refused, failed.keySet(), "refused: " + failed);
      failed.values().forEach(e -> assertInstanceOf(RecordTooLargeException.class, e, String.valueOf(e)));

      // And every stored record is decided: each bad one dead-lettered, each valid one accepted
      awaitDecided(ingest, HOSTILE + VALID);
      List<ConsumerRecord<byte[], byte[]>> dead = Await.records(kafka, topics.deadLetters, HOSTILE, Duration.ofMinutes(1));
      assertEquals(HOSTILE, dead.size());
      Map<Kind, Map<String, Integer>> reasons = new EnumMap<>(Kind.class);
      Set<Integer> deadIds = new java.util.HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : dead) {
        Raw sent = byId.get(Integer.parseInt(header(r, ID)));
        assertTrue(deadIds.add(sent.id()), "dead-lettered twice: " + sent.id());
        String reason = header(r, DeadLetters.REASON);
        assertTrue(sent.kind().reasons.contains(Rejection.ofCode(reason)),
            sent.kind() + " #" + sent.id() + " dead-lettered as " + reason + ": " + header(r, DeadLetters.MESSAGE));
        assertFalse(header(r, DeadLetters.MESSAGE).isBlank());
        assertEquals(topics.demosRaw.name(), header(r, DeadLetters.SOURCE_TOPIC));
        Integer.parseInt(header(r, DeadLetters.SOURCE_PARTITION));
        Long.parseLong(header(r, DeadLetters.SOURCE_OFFSET));
        assertArrayEquals(sent.key(), r.key(), "key unchanged");
        assertArrayEquals(sent.value(), r.value(), "value unchanged, byte for byte");
        if (sent.id() % 7 == 0) {
          assertNotNull(r.headers().lastHeader("x-null"), "the sender's own headers are kept");
        }
        reasons.computeIfAbsent(sent.kind(), k -> new TreeMap<>()).merge(reason, 1, Integer::sum);
      }
      assertEquals(stored, deadIds);

      var demonstrations = Await.records(kafka, topics.demonstrations, VALID, Duration.ofMinutes(1));
      assertEquals(valid.stream().map(id -> byId.get(id).demonstrationId()).collect(Collectors.toSet()),
          demonstrations.stream().map(ConsumerRecord::key).collect(Collectors.toSet()));
      assertEquals(VALID, demonstrations.size());
      assertEquals(VALID, Await.records(kafka, topics.prompts, VALID, Duration.ofMinutes(1)).size());

      // And nothing crashed
      assertEquals(new IngestCounts.Snapshot(VALID, 0, HOSTILE), ingest.counts());
      assertEquals(KafkaStreams.State.RUNNING, ingest.state());
      assertEquals(0, ingest.threadsReplaced(), "no stream thread died");

      System.out.println("hostile records per kind -> dead-letter reasons: " + reasons);
      System.out.println("refused by the producer or broker: " + failed.size() + " (" + failed.values().stream()
          .map(e -> e.getMessage().length() > 90 ? e.getMessage().substring(0, 90) + "..." : e.getMessage())
          .distinct().toList() + ")");
    }
  }

  private static Set<Integer> ids(List<Raw> mix, java.util.function.Predicate<Raw> which) {
    return mix.stream().filter(which).map(Raw::id).collect(Collectors.toSet());
  }

  /** Sends every record; returns the ids whose send failed, with the producer's reason. */
  private static Map<Integer, Exception> send(KafkaConnection kafka, Topics topics, List<Raw> mix) {
    Map<Integer, Exception> failed = new ConcurrentHashMap<>();
    Map<String, Object> config = new HashMap<>(kafka.producerConfig());
    config.put("linger.ms", "5");
    try (var producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Raw r : mix) {
        var headers = new RecordHeaders()
            .add(ID, Integer.toString(r.id()).getBytes(StandardCharsets.UTF_8))
            .add(KIND, r.kind().name().getBytes(StandardCharsets.UTF_8));
        if (r.id() % 7 == 0) {
          headers.add("x-null", null).add("x-binary", new byte[] {(byte) 0xFF, 0, (byte) 0xC0});
        }
        producer.send(new ProducerRecord<>(topics.demosRaw.name(), null, r.key(), r.value(), headers), (meta, e) -> {
          if (e != null) {
            failed.put(r.id(), e);
          }
        });
      }
      producer.flush();
    }
    return failed;
  }

  private static void awaitDecided(IngestService ingest, long records) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (ingest.counts().total() < records) {
      assertTrue(System.nanoTime() < deadline, "decided only " + ingest.counts() + " of " + records);
      assertEquals(KafkaStreams.State.RUNNING, ingest.state());
      Thread.sleep(100);
    }
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    return IngestTopology.header(r.headers(), name).orElseThrow(() -> new AssertionError("no header " + name));
  }
}
