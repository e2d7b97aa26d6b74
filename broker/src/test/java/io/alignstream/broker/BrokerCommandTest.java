package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BrokerCommandTest {
  @Test
  void helpExplainsEveryOption() {
    String usage = new CommandLine(new BrokerCommand()).getUsageMessage();
    for (String option : List.of("--port", "--controller-port", "--data-dir", "--run", "Ctrl-C", "9092", "9093",
        ".alignstream/kafka", "--voters", "--node-id", "--advertised-host", "--replication-factor", "--cluster-id")) {
      assertTrue(usage.contains(option), () -> "usage lacks " + option + ":\n" + usage);
    }
  }

  @Test
  void tableAlignsTopics() {
    String table = BrokerCommand.table(List.of(
        new TopicAdmin.TopicState("a.long.topic.name", 6, 3, Map.of("retention.ms", "-1"), TopicAdmin.Outcome.CREATED),
        new TopicAdmin.TopicState("b", 1, 1, Map.of(), TopicAdmin.Outcome.EXISTED)));
    List<String> lines = table.lines().toList();
    assertEquals(3, lines.size());
    assertTrue(lines.get(0).startsWith("TOPIC"));
    assertTrue(lines.get(1).contains("created") && lines.get(1).contains("retention.ms=-1"), lines.get(1));
    assertTrue(lines.get(2).contains("found"), lines.get(2));
    assertEquals(lines.get(1).indexOf("created"), lines.get(2).indexOf("found"));
    assertTrue(lines.get(0).contains("REPLICAS"), lines.get(0));
  }

  @Test
  void aNodeOfAClusterTakesItsControllerPortFromItsVoterEntry() {
    var cmd = new BrokerCommand();
    new CommandLine(cmd).parseArgs("--node-id", "2", "--port", "29092", "--data-dir", "k2",
        "--voters", "1@127.0.0.1:19093,2@127.0.0.1:29093,3@127.0.0.1:39093");
    BrokerConfig c = cmd.config();
    assertEquals(2, c.nodeId());
    assertEquals(29093, c.controllerPort());
    assertEquals(3, c.clusterSize());
    assertEquals(new Replication(3, 2), c.replication());
    assertEquals("127.0.0.1", c.advertisedHost());
  }

  @Test
  void aNodeAloneKeepsTheDefaultPorts() {
    var cmd = new BrokerCommand();
    new CommandLine(cmd).parseArgs("--host", "0.0.0.0", "--advertised-host", "kafka-1");
    BrokerConfig c = cmd.config();
    assertEquals(9092, c.port());
    assertEquals(9093, c.controllerPort());
    assertEquals("0.0.0.0", c.host());
    assertEquals("kafka-1", c.advertisedHost());
    assertEquals(new Replication(1, 1), c.replication());
  }

  @Test
  void listeningEverywhereNeedsAnAdvertisedHost() {
    var cmd = new BrokerCommand();
    new CommandLine(cmd).parseArgs("--host", "0.0.0.0");
    var e = assertThrows(IllegalArgumentException.class, cmd::config);
    assertTrue(e.getMessage().contains("--advertised-host"), e.getMessage());
  }
}
