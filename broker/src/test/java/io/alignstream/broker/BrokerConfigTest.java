package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

class BrokerConfigTest {
  private static final Path DIR = Path.of("target", "kafka");
  private static final List<String> VOTERS = List.of("1@127.0.0.1:19093", "2@127.0.0.1:29093", "3@127.0.0.1:39093");

  @Test
  void defaultsAreTheCliBroker() {
    BrokerConfig c = BrokerConfig.defaults();
    assertEquals(Path.of(".alignstream/kafka"), c.dataDir());
    assertEquals(9092, c.port());
    assertEquals(9093, c.controllerPort());
    assertEquals("127.0.0.1", c.host());
    assertEquals("1@127.0.0.1:9093", c.quorumVoters());
    assertEquals(1, c.clusterSize());
    assertNull(c.clusterId(), "a node alone keeps a random id in its data dir");
  }

  @Test
  void aNodeOfAClusterGetsItsControllerPortAndTheSharedClusterIdFromTheVoters() {
    BrokerConfig one = BrokerConfig.clusterNode(DIR.resolve("1"), 1, VOTERS, 0);
    BrokerConfig three = BrokerConfig.clusterNode(DIR.resolve("3"), 3, List.of(VOTERS.get(2), VOTERS.get(0), VOTERS.get(1)), 0);
    assertEquals(19093, one.controllerPort());
    assertEquals(39093, three.controllerPort());
    assertEquals(String.join(",", VOTERS), one.quorumVoters());
    assertEquals(3, one.clusterSize());
    // Every node computes the same id, whatever the order it was given the voters in; another quorum another id.
    assertEquals(one.clusterId(), three.clusterId());
    assertEquals(22, one.clusterId().length());
    assertEquals(one.clusterId(), Uuid.fromString(one.clusterId()).toString());
    assertFalse(one.clusterId().startsWith("-"));
    assertNotEquals(one.clusterId(), BrokerConfig.clusterNode(DIR, 1, VOTERS.subList(0, 2), 0).clusterId());
  }

  @Test
  void replicationFollowsTheClusterSizeCappedAtThreeWithOneReplicaToSpare() {
    assertEquals(new Replication(1, 1), BrokerConfig.defaults().replication());
    assertEquals(new Replication(2, 1), BrokerConfig.clusterNode(DIR, 1, VOTERS.subList(0, 2), 0).replication());
    assertEquals(new Replication(3, 2), BrokerConfig.clusterNode(DIR, 1, VOTERS, 0).replication());
    var five = List.of("1@h1:9093", "2@h2:9093", "3@h3:9093", "4@h4:9093", "5@h5:9093");
    assertEquals(new Replication(3, 2), BrokerConfig.clusterNode(DIR, 4, five, 0).replication());
  }

  @Test
  void serverPropertiesOfAClusterNodeReplicateInternalTopicsAndAdvertiseItsName() {
    var c = new BrokerConfig(DIR, "0.0.0.0", "kafka-2", 9092, 0, 2,
        List.of("1@kafka-1:9093", "2@kafka-2:9093", "3@kafka-3:9093"), null, Duration.ofSeconds(30));
    Properties p = EmbeddedBroker.serverProperties(c, DIR.resolve("logs"));
    assertEquals("2", p.get("node.id"));
    assertEquals("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093", p.get("controller.quorum.voters"));
    assertEquals("PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093", p.get("listeners"));
    assertEquals("PLAINTEXT://kafka-2:9092", p.get("advertised.listeners"));
    for (String key : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
        "share.coordinator.state.topic.replication.factor", "default.replication.factor")) {
      assertEquals("3", p.get(key), key);
    }
    for (String key : List.of("transaction.state.log.min.isr", "share.coordinator.state.topic.min.isr",
        "min.insync.replicas")) {
      assertEquals("2", p.get(key), key);
    }
    assertEquals("30000", p.get("server.max.startup.time.ms"));
    Properties alone = EmbeddedBroker.serverProperties(BrokerConfig.defaults(), DIR.resolve("logs"));
    assertEquals("1", alone.get("offsets.topic.replication.factor"));
    assertEquals("1", alone.get("transaction.state.log.min.isr"));
  }

  @Test
  void rejectsBadInputWithAMessageThatSaysHowToFixIt() {
    assertMessage(() -> BrokerConfig.of(DIR, -1, 0), "port must be in [0, 65535]");
    assertMessage(() -> BrokerConfig.of(DIR, 9092, 70000), "controller port must be in [0, 65535]");
    assertMessage(() -> BrokerConfig.of(DIR, 9092, 9092), "need different ports");
    assertMessage(() -> node(" ", "h", 1, List.of(), null), "host is blank");
    assertMessage(() -> node("0.0.0.0", "0.0.0.0", 1, List.of(), null), "--advertised-host");
    assertMessage(() -> node("h", "h", -1, List.of(), null), "node id");
    assertMessage(() -> node("h", "h", 1, List.of("a:9093"), null), "not of the form id@host:port");
    assertMessage(() -> node("h", "h", 4, VOTERS, null), "not among the voters");
    assertMessage(() -> node("h", "h", 1, List.of("1@a:9093", "1@b:9093"), null), "appears twice");
    assertMessage(() -> new BrokerConfig(DIR, "h", "h", 0, 9999, 1, VOTERS, null, Duration.ofSeconds(1)),
        "differs from this node's voter entry");
    assertMessage(() -> node("h", "h", 1, List.of(), "not-an-id"), "is not a Kafka cluster id");
    assertMessage(() -> BrokerConfig.of(DIR, 0, 0).withStartTimeout(Duration.ZERO), "start timeout must be positive");
    assertThrows(NullPointerException.class, () -> BrokerConfig.of(null, 0, 0));
  }

  @Test
  void portZeroMeansPickOneAtStart() {
    BrokerConfig c = BrokerConfig.ephemeral(DIR);
    assertEquals(0, c.port());
    assertEquals(0, c.controllerPort());
  }

  @Test
  void replicationNeedsAllButOneReplicaForAWrite() {
    assertEquals(new Replication(1, 1), Replication.of(1));
    assertEquals(new Replication(2, 1), Replication.of(2));
    assertEquals(new Replication(3, 2), Replication.of(3));
    assertEquals(new Replication(3, 2), Replication.forCluster(7));
    assertMessage(() -> Replication.of(0), "replication factor must be at least 1");
    assertMessage(() -> new Replication(3, 4), "min.insync.replicas must be in [1, 3]");
    assertMessage(() -> Replication.forCluster(0), "at least one broker");
  }

  private static BrokerConfig node(String host, String advertised, int id, List<String> voters, String clusterId) {
    return new BrokerConfig(DIR, host, advertised, 0, 0, id, voters, clusterId, Duration.ofSeconds(1));
  }

  private static void assertMessage(Runnable r, String fragment) {
    var e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
  }
}
