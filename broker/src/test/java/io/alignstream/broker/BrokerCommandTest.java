package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        ".alignstream/kafka")) {
      assertTrue(usage.contains(option), () -> "usage lacks " + option + ":\n" + usage);
    }
  }

  @Test
  void tableAlignsTopics() {
    String table = BrokerCommand.table(List.of(
        new TopicAdmin.TopicState("a.long.topic.name", 6, Map.of("retention.ms", "-1"), TopicAdmin.Outcome.CREATED),
        new TopicAdmin.TopicState("b", 1, Map.of(), TopicAdmin.Outcome.EXISTED)));
    List<String> lines = table.lines().toList();
    assertEquals(3, lines.size());
    assertTrue(lines.get(0).startsWith("TOPIC"));
    assertTrue(lines.get(1).contains("created") && lines.get(1).contains("retention.ms=-1"), lines.get(1));
    assertTrue(lines.get(2).contains("found"), lines.get(2));
    assertEquals(lines.get(1).indexOf("created"), lines.get(2).indexOf("found"));
  }
}
