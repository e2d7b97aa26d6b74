package io.alignstream.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.RunOptions;
import io.alignstream.broker.RunSession;
import io.alignstream.broker.TopicAdmin;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** A service command's Kafka options open a session on the named cluster with the run's topics. */
@ExtendWith(KafkaFixture.class)
class RunOptionsIT {
  @Command(name = "svc")
  static final class Svc {
    @Mixin RunOptions kafka;
  }

  @Test
  void bootstrapOpensASessionWithTheRunsTopicsCreated(KafkaConnection kafka) {
    var svc = new Svc();
    String run = KafkaFixture.uniqueRunId("options");
    new CommandLine(svc).parseArgs("--bootstrap", kafka.bootstrapServers(), "--run", run);
    var notices = new ByteArrayOutputStream();

    try (RunSession session = svc.kafka.open(new PrintStream(notices, true, StandardCharsets.UTF_8))) {
      assertEquals(kafka.bootstrapServers(), session.connection().bootstrapServers());
      assertEquals(run, session.topics().runId());
      assertTrue(session.embeddedBroker().isEmpty());
      assertTrue(session.topicStates().stream().allMatch(t -> t.outcome() == TopicAdmin.Outcome.CREATED));
      try (TopicAdmin admin = TopicAdmin.open(session.connection())) {
        assertTrue(admin.runs().contains(run));
      }
    }
    assertTrue(notices.toString(StandardCharsets.UTF_8).contains(kafka.bootstrapServers()));
  }
}
