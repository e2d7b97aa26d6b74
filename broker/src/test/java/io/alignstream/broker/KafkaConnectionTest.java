package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaConnectionTest {
  private static final Map<String, String> SECURE = Map.of(
      "security.protocol", "SASL_SSL",
      "sasl.mechanism", "PLAIN",
      "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter2\";",
      "ssl.truststore.password", "hunter2",
      "ssl.key.password", "hunter2",
      "basic.auth.user.info", "u:hunter2-secret",
      "client.secret", "hunter2",
      "request.timeout.ms", "15000");

  @Test
  void loopClientsCommitOnlyInTransactionsAndBoundTheirTransactions() {
    var kafka = KafkaConnection.of("127.0.0.1:9092");
    var c = kafka.loopConsumerConfig("g", "s1-prompts", 8);
    org.junit.jupiter.api.Assertions.assertEquals("g", c.get("group.id"));
    org.junit.jupiter.api.Assertions.assertEquals("false", c.get("enable.auto.commit"));
    org.junit.jupiter.api.Assertions.assertEquals(8, c.get("max.poll.records"));
    org.junit.jupiter.api.Assertions.assertEquals("read_committed", c.get("isolation.level"));
    org.junit.jupiter.api.Assertions.assertEquals("s1-prompts", c.get("client.id"));
    var p = kafka.loopProducerConfig("tx-1", "s1-generations", java.time.Duration.ofSeconds(10));
    org.junit.jupiter.api.Assertions.assertEquals("tx-1", p.get("transactional.id"));
    org.junit.jupiter.api.Assertions.assertEquals(10_000, p.get("transaction.timeout.ms"));
    org.junit.jupiter.api.Assertions.assertEquals("s1-generations", p.get("client.id"));
  }

  @Test
  void everyProducerKeepsOneRequestInFlight() throws Exception {
    var kafka = KafkaConnection.of("127.0.0.1:9092");
    String key = "max.in.flight.requests.per.connection";
    org.junit.jupiter.api.Assertions.assertEquals("1", kafka.producerConfig().get(key));
    org.junit.jupiter.api.Assertions.assertEquals("1", kafka.transactionalProducerConfig("t").get(key));
    org.junit.jupiter.api.Assertions.assertEquals("1",
        kafka.streamsConfig("app", java.nio.file.Files.createTempDirectory("s"), 1).get("producer." + key));
  }

  @Test
  void userPropertiesReachEveryClient() {
    var kafka = new KafkaConnection("broker-1:9092,broker-2:9092", SECURE);
    for (Map<String, Object> config : List.of(kafka.adminConfig(), kafka.producerConfig(),
        kafka.transactionalProducerConfig("tx"), kafka.consumerConfig("g"), kafka.readerConfig("reader"),
        kafka.loopConsumerConfig("g", "c", 8), kafka.loopProducerConfig("tx", "p", java.time.Duration.ofSeconds(10)))) {
      assertEquals("broker-1:9092,broker-2:9092", config.get("bootstrap.servers"));
      SECURE.forEach((k, v) -> assertEquals(v, config.get(k), k));
    }
    var streams = kafka.streamsConfig("app", Path.of("state"), 3);
    SECURE.forEach((k, v) -> assertEquals(v, streams.get(k), k));
  }

  @Test
  void eachClientKindGetsItsSettings() {
    var kafka = KafkaConnection.of("127.0.0.1:9092");
    assertEquals("read_committed", kafka.consumerConfig("g").get("isolation.level"));
    assertEquals("g", kafka.consumerConfig("g").get("group.id"));
    assertEquals("tx-1", kafka.transactionalProducerConfig("tx-1").get("transactional.id"));
    assertEquals("all", kafka.producerConfig().get("acks"));
    assertFalse(kafka.producerConfig().containsKey("transactional.id"));
    assertEquals(Integer.toString(Topics.WEIGHT_RECORD_MAX_BYTES), kafka.producerConfig().get("max.request.size"));
    var streams = kafka.streamsConfig("app", Path.of("state"), 3);
    assertEquals("exactly_once_v2", streams.get("processing.guarantee"));
    assertEquals("app", streams.get("application.id"));
    assertEquals("state", streams.get("state.dir"));
    assertEquals("3", streams.get("replication.factor"));
    // The cluster's default.replication.factor, which the embedded broker sets to what the cluster can give.
    assertEquals("-1", kafka.streamsConfig("app", Path.of("state"), KafkaConnection.CLUSTER_DEFAULT_REPLICATION)
        .get("replication.factor"));
    assertThrows(IllegalArgumentException.class, () -> kafka.streamsConfig("app", Path.of("state"), 0));
  }

  @Test
  void userMayOverrideDefaultsButNotWhatTheCallerNames() {
    var kafka = new KafkaConnection("h:1", Map.of("isolation.level", "read_uncommitted", "group.id", "theirs",
        "bootstrap.servers", "elsewhere:9"));
    assertEquals("read_uncommitted", kafka.consumerConfig("mine").get("isolation.level"));
    assertEquals("mine", kafka.consumerConfig("mine").get("group.id"));
    assertEquals("h:1", kafka.adminConfig().get("bootstrap.servers"));
  }

  @Test
  void secretsNeverAppearInRedactedViewOrToString() {
    var kafka = new KafkaConnection("h:9092", SECURE);
    String shown = kafka.redacted().toString() + kafka;
    assertFalse(shown.contains("hunter2"), shown);
    assertEquals("[redacted]", kafka.redacted().get("sasl.jaas.config"));
    assertEquals("SASL_SSL", kafka.redacted().get("security.protocol"));
    assertEquals("h:9092", kafka.redacted().get("bootstrap.servers"));
    assertTrue(KafkaConnection.isSecret("SSL.KEYSTORE.PASSWORD"));
    assertFalse(KafkaConnection.isSecret("request.timeout.ms"));
  }

  @Test
  void loadsAPropertiesFileAndTakesItsBootstrapWhenNoneIsGiven(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "bootstrap.servers=kafka:9093\nsecurity.protocol=SSL\nssl.truststore.password=hunter2\n");
    var fromFile = KafkaConnection.load(null, file);
    assertEquals("kafka:9093", fromFile.bootstrapServers());
    assertEquals("SSL", fromFile.clientProperties().get("security.protocol"));
    assertEquals("other:1", KafkaConnection.load("other:1", file).bootstrapServers());

    Files.writeString(file, "security.protocol=SSL\n");
    var e = assertThrows(IllegalArgumentException.class, () -> KafkaConnection.load(null, file));
    assertTrue(e.getMessage().contains("--bootstrap"), e.getMessage());
    var missing = assertThrows(IllegalArgumentException.class, () -> KafkaConnection.load("h:1", dir.resolve("nope")));
    assertEquals("Kafka client properties file not found: " + dir.resolve("nope"), missing.getMessage());
    var directory = assertThrows(IllegalArgumentException.class, () -> KafkaConnection.load("h:1", dir));
    assertTrue(directory.getMessage().startsWith("cannot read Kafka client properties from " + dir), directory.getMessage());
  }

  @Test
  void rejectsMalformedBootstrap() {
    assertThrows(IllegalArgumentException.class, () -> KafkaConnection.of(""));
    assertThrows(IllegalArgumentException.class, () -> KafkaConnection.of("localhost"));
    assertThrows(IllegalArgumentException.class, () -> KafkaConnection.of("h:1,h2:"));
    assertThrows(IllegalArgumentException.class, () -> kafkaWithBlankGroup());
  }

  private static void kafkaWithBlankGroup() {
    KafkaConnection.of("h:1").consumerConfig(" ");
  }
}
