package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class RunOptionsTest {
  @Command(name = "svc")
  static final class Svc {
    @Mixin RunOptions kafka;
  }

  private static RunOptions parse(String... args) {
    var svc = new Svc();
    new CommandLine(svc).parseArgs(args);
    return svc.kafka;
  }

  @Test
  void defaults() {
    RunOptions o = parse();
    assertEquals(Topics.DEFAULT_RUN, o.runId());
    assertEquals(Path.of(".alignstream/kafka"), o.connection().dataDir());
    assertEquals("alignstream.default.prompts", o.topics().prompts.name());
  }

  @Test
  void builtInCodeItHasTheSameDefaults() {
    RunOptions o = RunOptions.of(null, null, null, null);
    assertEquals(Topics.DEFAULT_RUN, o.runId());
    assertEquals(Path.of(".alignstream/kafka"), o.connection().dataDir());
    assertInstanceOf(ClusterOptions.UseExternal.class, RunOptions.of("h:1", null, "r", null).connection().plan(a -> false));
  }

  @Test
  void bootstrapMeansAnExternalClusterWithoutProbingLocally() {
    var plan = parse("--bootstrap", "k1:9092,k2:9092", "--run", "exp-7").connection().plan(a -> {
      throw new AssertionError("must not probe " + a);
    });
    assertEquals("k1:9092,k2:9092", assertInstanceOf(ClusterOptions.UseExternal.class, plan).connection().bootstrapServers());
  }

  @Test
  void clientPropertiesFileAloneNamesTheCluster(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("c.properties");
    Files.writeString(file, "bootstrap.servers=k:9093\nsecurity.protocol=SSL\n");
    var plan = assertInstanceOf(ClusterOptions.UseExternal.class, parse("--kafka-config", file.toString()).connection().plan(a -> false));
    assertEquals("k:9093", plan.connection().bootstrapServers());
    assertEquals("SSL", plan.connection().clientProperties().get("security.protocol"));
  }

  @Test
  void aLocalBrokerThatAnswersIsShared() {
    var plan = parse().connection().plan(a -> a.getPort() == 9092 && a.getHostString().equals("127.0.0.1"));
    assertEquals("127.0.0.1:9092", assertInstanceOf(ClusterOptions.UseLocal.class, plan).connection().bootstrapServers());
  }

  @Test
  void otherwiseABrokerIsStartedInProcessOnTheDataDir() {
    var plan = assertInstanceOf(ClusterOptions.StartEmbedded.class, parse("--data-dir", "x/k").connection().plan(a -> false));
    assertEquals(Path.of("x/k"), plan.config().dataDir());
    assertEquals(9092, plan.config().port());
  }

  @Test
  void replicationFactorIsWhatTheClusterGivesUnlessNamed() {
    assertTrue(parse().connection().replicationFactor().isEmpty());
    assertEquals(3, parse("--replication-factor", "3").connection().replicationFactor().getAsInt());
    var e = assertThrows(IllegalArgumentException.class,
        () -> parse("--bootstrap", "h:1", "--replication-factor", "0").open());
    assertTrue(e.getMessage().contains("replication factor must be at least 1"), e.getMessage());
  }

  @Test
  void badRunIdIsRejectedWithAHint() {
    var e = assertThrows(IllegalArgumentException.class, () -> parse("--run", "a b").topics());
    assertTrue(e.getMessage().contains("letters, digits"), e.getMessage());
  }
}
