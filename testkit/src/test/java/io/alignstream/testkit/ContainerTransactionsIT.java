package io.alignstream.testkit;

import io.alignstream.broker.KafkaConnection;
import java.util.Locale;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The transactional check on the official {@code apache/kafka} image, whatever broker the fixture
 * picked. Skipped where no Docker engine answers (as on the development machines).
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerTransactionsIT {
  @Container
  static final KafkaContainer KAFKA = new KafkaContainer(System.getenv().getOrDefault("KAFKA_IMAGE",
      "apache/kafka:" + AppInfoParser.getVersion().toLowerCase(Locale.ROOT)));

  @Test
  void readCommittedSeesCommittedTransactionsOnly() {
    KafkaConnection kafka = KafkaConnection.of(KAFKA.getBootstrapServers());
    TransactionalRoundTrip.check(kafka, KafkaFixture.freshTopics(kafka, "testcontainers"));
  }
}
