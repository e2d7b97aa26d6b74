package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BrokerConfigTest {
  private static final Path DIR = Path.of("target", "kafka");

  @Test
  void defaultsAreTheCliBroker() {
    BrokerConfig c = BrokerConfig.defaults();
    assertEquals(Path.of(".alignstream/kafka"), c.dataDir());
    assertEquals(9092, c.port());
    assertEquals(9093, c.controllerPort());
    assertEquals("127.0.0.1", c.host());
    assertEquals("1@127.0.0.1:9093", c.quorumVoters());
  }

  @Test
  void explicitVotersAreKeptForALaterMultiNodeCluster() {
    var c = new BrokerConfig(DIR, "127.0.0.1", 9092, 9093, 2, List.of("1@a:9093", "2@b:9093"), Duration.ofSeconds(5));
    assertEquals("1@a:9093,2@b:9093", c.quorumVoters());
  }

  @Test
  void rejectsBadInputWithAMessageThatSaysHowToFixIt() {
    assertMessage(() -> BrokerConfig.of(DIR, -1, 0), "port must be in [0, 65535]");
    assertMessage(() -> BrokerConfig.of(DIR, 9092, 70000), "controller port must be in [0, 65535]");
    assertMessage(() -> BrokerConfig.of(DIR, 9092, 9092), "need different ports");
    assertMessage(() -> new BrokerConfig(DIR, " ", 0, 0, 1, List.of(), Duration.ofSeconds(1)), "host is blank");
    assertMessage(() -> new BrokerConfig(DIR, "h", 0, 0, -1, List.of(), Duration.ofSeconds(1)), "node id");
    assertMessage(() -> new BrokerConfig(DIR, "h", 0, 0, 1, List.of("a:9093"), Duration.ofSeconds(1)),
        "not of the form id@host:port");
    assertMessage(() -> BrokerConfig.of(DIR, 0, 0).withStartTimeout(Duration.ZERO), "start timeout must be positive");
    assertThrows(NullPointerException.class, () -> BrokerConfig.of(null, 0, 0));
  }

  @Test
  void portZeroMeansPickOneAtStart() {
    BrokerConfig c = BrokerConfig.ephemeral(DIR);
    assertEquals(0, c.port());
    assertEquals(0, c.controllerPort());
  }

  private static void assertMessage(Runnable r, String fragment) {
    var e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
  }
}
