package io.alignstream.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The transactional check every broker kind must pass: committed Avro records are seen by a
 * {@code read_committed} consumer, records of an aborted transaction are not (though they were
 * written: a {@code read_uncommitted} consumer sees them).
 */
final class TransactionalRoundTrip {
  private TransactionalRoundTrip() {}

  static void check(KafkaConnection kafka, Topics topics) {
    Topic<String, Demonstration> topic = topics.demonstrations;
    // Given three transactions: committed, aborted, committed
    try (var producer = new KafkaProducer<>(kafka.transactionalProducerConfig("tx-check-" + topics.runId()),
        topic.keySerde().serializer(), topic.valueSerde().serializer())) {
      producer.initTransactions();
      send(producer, topic, List.of(demo("c1"), demo("c2")), true);
      send(producer, topic, List.of(demo("a1"), demo("a2")), false);
      send(producer, topic, List.of(demo("c3")), true);
    }

    // When a read_committed consumer reads the topic
    List<ConsumerRecord<String, Demonstration>> committed = TopicReader.readCommitted(kafka, topic);

    // Then it sees exactly the committed records, intact
    assertEquals(List.of("c1", "c2", "c3"), committed.stream().map(ConsumerRecord::key).sorted().toList());
    for (var r : committed) {
      assertEquals(demo(r.key()), r.value(), "record " + r.key() + " decodes to what was sent");
    }
    // And the aborted records did reach the log (so the check above means something)
    assertEquals(List.of("a1", "a2", "c1", "c2", "c3"),
        TopicReader.readUncommitted(kafka, topic).stream().map(ConsumerRecord::key).sorted().toList());
  }

  private static void send(KafkaProducer<String, Demonstration> producer, Topic<String, Demonstration> topic,
      List<Demonstration> demos, boolean commit) {
    producer.beginTransaction();
    for (Demonstration d : demos) {
      producer.send(new ProducerRecord<>(topic.name(), d.getId(), d));
    }
    producer.flush();
    if (commit) {
      producer.commitTransaction();
    } else {
      producer.abortTransaction();
    }
  }

  static Demonstration demo(String id) {
    return Demonstration.newBuilder()
        .setId(id)
        .setPromptId("p-" + id)
        .setPrompt("What is 2 + " + id + "?")
        .setResponse("It depends on " + id + ".")
        .setSource("test")
        .setCreatedAtMs(1_700_000_000_000L)
        .build();
  }
}
