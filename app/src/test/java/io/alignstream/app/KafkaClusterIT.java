package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.learner.LearnerConfig;
import io.alignstream.learner.Recipe;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.TaskConfig;
import io.alignstream.testkit.KafkaFixture;
import io.alignstream.testkit.TopicReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole loop on a real three-node KRaft cluster: three {@code alignstream broker} processes on
 * loopback ports, the run's topics and Kafka's internal topics with three replicas and
 * {@code min.insync.replicas=2}, every service in this JVM (as {@link StreamingLoopIT}). Mid-run the
 * active controller's process is killed with SIGKILL. The run must finish on the two survivors, and
 * its committed record must show nothing lost and nothing twice.
 */
class KafkaClusterIT {
  private static final Logger log = LoggerFactory.getLogger(KafkaClusterIT.class);
  static final int NODES = 3;
  static final int UPDATES = 6;
  /** The broker dies once the learner has published this policy version (1 is SFT). */
  static final long KILL_AT_VERSION = 3;
  /**
   * Far longer than any batch needs: a batch is then emitted incomplete only if a scored sample
   * never arrives, so "every trained batch is complete" means the rewarder lost nothing.
   */
  static final Duration BATCH_WAIT = Duration.ofMinutes(3);

  @TempDir
  Path dir;

  @Test
  void theRunOutlivesABrokerKilledMidRunAndLosesNothing() throws Exception {
    BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(2000));
    Path base = StreamingLoopIT.tinyBase(dir, task);
    Recipe recipe = StreamingLoopIT.recipe(UPDATES);
    Topics topics = Topics.forRun(KafkaFixture.uniqueRunId("cluster"));

    // Given three broker processes forming one cluster, which created the run's topics on start
    try (BrokerProcesses cluster = BrokerProcesses.start(dir.resolve("cluster"), NODES, topics.runId())) {
      KafkaConnection kafka = cluster.connection();
      try (TopicAdmin admin = TopicAdmin.open(kafka)) {
        var states = admin.ensure(topics);
        assertEquals(3, admin.replication().factor(), "what the cluster can give");
        assertTrue(states.stream().allMatch(s -> s.outcome() == TopicAdmin.Outcome.EXISTED && s.replicas() == NODES),
            states::toString);
      }
      try (Admin admin = kafka.admin()) {
        for (Topic<?, ?> t : List.of(topics.generations, topics.batches, topics.weightChunks)) {
          assertEquals("2", topicConfig(admin, t.name(), "min.insync.replicas"), t.name());
        }
      }
      List<io.alignstream.task.LabelledPair> before = task.demonstrations().subList(0, 60);
      List<io.alignstream.task.LabelledPair> after = task.demonstrations().subList(60, 80);
      StreamingLoopIT.produceRaw(kafka, topics, before);

      var s = StreamingLoopIT.settings(topics, dir, base, recipe);
      var settings = new Pipeline.Settings(s.learner(), s.sampler(), s.samplers(), s.rewarder(), BATCH_WAIT,
          s.stateDir(), true);
      int victim;
      try (Pipeline pipeline = Pipeline.start(kafka, settings)) {
        assertTrue(pipeline.awaitVersion(KILL_AT_VERSION, Duration.ofMinutes(4)),
            "the learner reached version " + pipeline.learner().version() + " before the kill");

        // When the active controller, also leader of some of the run's partitions, dies with SIGKILL
        try (Admin admin = kafka.admin()) {
          victim = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
          long led = partitions(admin, topics).stream().filter(p -> p.leader() != null && p.leader().id() == victim)
              .count();
          assertTrue(led > 0, "node " + victim + " leads none of the run's partitions");
        }
        log.info("killing node {} (active controller) at policy version {}", victim, pipeline.learner().version());
        cluster.kill(victim);
        // (and more demonstrations arrive, through ingest's replicated changelogs)
        StreamingLoopIT.produceRaw(kafka, topics, after);

        // Then the run goes on to its last update on the two survivors
        assertTrue(pipeline.awaitVersion(1 + UPDATES, Duration.ofMinutes(5)),
            "the learner reached version " + pipeline.learner().version() + " after node " + victim + " died; logs in "
                + cluster.dir());
        // and every demonstration, sent before or after the death, was ingested
        Set<String> sent = new HashSet<>();
        for (var d : before) {
          sent.add(ContentId.ofDemonstration(d.prompt(), d.response()));
        }
        for (var d : after) {
          sent.add(ContentId.ofDemonstration(d.prompt(), d.response()));
        }
        awaitDemonstrations(kafka, topics, sent, Duration.ofMinutes(2),
            () -> "ingest " + pipeline.ingest().state() + " " + pipeline.ingest().counts() + "\n" + diagnose(kafka, topics));
      }

      // And the cluster runs on two nodes, every partition led by a survivor with both survivors in sync
      try (Admin admin = kafka.admin()) {
        Set<Integer> alive = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream().map(Node::id)
            .collect(Collectors.toSet());
        assertEquals(NODES - 1, alive.size(), "running nodes " + alive);
        assertTrue(!alive.contains(victim), "node " + victim + " still registered");
        for (TopicPartitionInfo p : partitions(admin, topics)) {
          assertTrue(p.leader() != null && alive.contains(p.leader().id()), "leader of " + p);
          assertTrue(p.isr().size() >= 2, "in-sync replicas of " + p);
        }
      }

      // And, read committed, nothing was lost or done twice:
      assertRecordIsExact(kafka, topics, recipe.samplesPerPrompt());
    }
  }

  /** Waits until the committed demonstrations are exactly {@code expected} (by content id), or fails. */
  private static void awaitDemonstrations(KafkaConnection kafka, Topics topics, Set<String> expected, Duration timeout,
      Supplier<String> diagnosis) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> ids = StreamingLoopIT.values(TopicReader.readCommitted(kafka, topics.demonstrations)).stream()
          .map(Demonstration::getId).toList();
      if (ids.size() == expected.size() && expected.containsAll(ids)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("demonstrations ingested: " + ids.size() + " of " + expected.size()
            + (expected.containsAll(ids) ? "" : ", some never sent") + "\n" + diagnosis.get());
      }
      Thread.sleep(500);
    }
  }

  /** The run's committed record after the kill: versions once and in order, K per prompt, no duplicates. */
  private static void assertRecordIsExact(KafkaConnection kafka, Topics topics, int k) throws Exception {
    // every policy version published once, in order: 1 (SFT) to 1 + UPDATES;
    List<Long> versions = TopicReader.readCommitted(kafka, topics.modelVersions).stream().map(ConsumerRecord::value)
        .filter(m -> m.getModelName().equals(ModelLines.POLICY)).map(ModelVersion::getVersion).toList();
    List<Long> expected = new ArrayList<>();
    for (long v = 1; v <= 1 + UPDATES; v++) {
      expected.add(v);
    }
    assertEquals(expected, versions, "policy versions published");

    // every sampled (prompt, round, line) has exactly K generations, each once;
    List<Generation> gens = StreamingLoopIT.values(TopicReader.readCommitted(kafka, topics.generations));
    Map<String, Long> perGroup = gens.stream().collect(Collectors.groupingBy(
        g -> g.getPromptId() + "/" + g.getRound() + "/" + g.getPolicyName(), Collectors.counting()));
    var wrong = perGroup.entrySet().stream().filter(e -> e.getValue() != k).toList();
    assertTrue(wrong.isEmpty(), "groups without exactly K generations: " + wrong + " of " + perGroup.size());
    Set<String> genIds = gens.stream().map(Generation::getId).collect(Collectors.toSet());
    assertEquals(gens.size(), genIds.size(), "a generation published twice");

    // every sample scored at most once, and only generations that exist;
    List<ScoredSample> scored = StreamingLoopIT.values(TopicReader.readCommitted(kafka, topics.scored));
    assertEquals(scored.size(), scored.stream().map(ScoredSample::getId).distinct().count(), "a sample scored twice");
    assertTrue(scored.stream().filter(x -> x.getKind() == SampleKind.GENERATION).allMatch(x -> genIds.contains(x.getId())),
        "a scored generation that was never published");

    // every batch emitted once, and every batch the learner trained on complete: all K generations arrived;
    List<TrainingBatch> batches = StreamingLoopIT.values(TopicReader.readCommitted(kafka, topics.batches));
    assertEquals(batches.size(), batches.stream().map(TrainingBatch::getId).distinct().count(), "a batch emitted twice");
    long consumed = committedLearnerOffset(kafka, topics);
    List<TrainingBatch> trained = TopicReader.readCommitted(kafka, topics.batches).stream()
        .filter(r -> r.offset() < consumed).map(ConsumerRecord::value).toList();
    assertTrue(trained.size() >= UPDATES, "batches trained: " + trained.size());
    var incomplete = trained.stream().filter(b -> !b.getComplete()
        || b.getSamples().stream().filter(x -> x.getKind() == SampleKind.GENERATION).count() != k)
        .map(TrainingBatch::getId).toList();
    assertTrue(incomplete.isEmpty(), "trained batches missing generations: " + incomplete);

    // and every round-0 batch the learner trained on started exactly one round-1 prompt (none applied twice).
    long roundZero = trained.stream().filter(b -> b.getRound() == 0).count();
    List<Prompt> nextRound = StreamingLoopIT.values(TopicReader.readCommitted(kafka, topics.prompts)).stream()
        .filter(p -> p.getRound() == 1).toList();
    assertEquals(roundZero, nextRound.size(), "one round-1 prompt per trained round-0 batch");
    assertEquals(nextRound.size(), nextRound.stream().map(Prompt::getPromptId).distinct().count(),
        "a round-1 prompt started twice");
  }

  /**
   * For a failure message: per partition of the run's topics (Streams' internal ones too) its
   * leader, in-sync replicas, end offset and last stable offset, then each of the run's groups'
   * committed offsets. Each part is best effort.
   */
  static String diagnose(KafkaConnection kafka, Topics topics) {
    var sb = new StringBuilder();
    try (Admin admin = kafka.admin()) {
      List<String> names = admin.listTopics().names().get(10, TimeUnit.SECONDS).stream()
          .filter(n -> n.startsWith(Topics.prefix(topics.runId()))).sorted().toList();
      var described = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
      List<TopicPartition> tps = new ArrayList<>();
      described.forEach((n, d) -> d.partitions().forEach(p -> tps.add(new TopicPartition(n, p.partition()))));
      Map<TopicPartition, OffsetSpec> latest = tps.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
      var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
      var stable = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
          .get(10, TimeUnit.SECONDS);
      for (TopicPartition tp : tps.stream().sorted(Comparator.comparing(TopicPartition::toString)).toList()) {
        var p = described.get(tp.topic()).partitions().get(tp.partition());
        sb.append(tp).append(": leader ").append(p.leader() == null ? "-" : p.leader().id()).append(", isr ")
            .append(p.isr().stream().map(Node::id).toList()).append(", end ").append(ends.get(tp).offset())
            .append(", stable ").append(stable.get(tp).offset()).append('\n');
      }
      for (var g : admin.listGroups().all().get(10, TimeUnit.SECONDS)) {
        if (g.groupId().startsWith(Topics.prefix(topics.runId()))) {
          var offsets = admin.listConsumerGroupOffsets(g.groupId()).partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS);
          sb.append("group ").append(g.groupId()).append(": ").append(new TreeMap<>(offsets.entrySet().stream()
              .collect(Collectors.toMap(e -> e.getKey().toString(), e -> e.getValue().offset())))).append('\n');
        }
      }
    } catch (Exception e) {
      sb.append("(diagnosis stopped: ").append(e).append(')');
    }
    return sb.toString();
  }

  private static long committedLearnerOffset(KafkaConnection kafka, Topics topics) throws Exception {
    String group = new LearnerConfig(topics, Path.of("unused"), null, Recipe.defaults(), 1, Duration.ZERO,
        Duration.ZERO, 1).groupId();
    try (Admin admin = kafka.admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      return offsets.get(new TopicPartition(topics.batches.name(), 0)).offset();
    }
  }

  private static List<TopicPartitionInfo> partitions(Admin admin, Topics topics) throws Exception {
    Map<String, TopicDescription> described = admin.describeTopics(topics.all().stream().map(Topic::name).toList())
        .allTopicNames().get(30, TimeUnit.SECONDS);
    return described.values().stream().flatMap(d -> d.partitions().stream()).toList();
  }

  private static String topicConfig(Admin admin, String topic, String key) throws Exception {
    var resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource).get(key).value();
  }

  /**
   * {@code alignstream broker} processes forming one cluster on loopback: each its own JVM on this
   * test's class path, data dir and log file. {@link #close()} kills whatever still runs.
   */
  static final class BrokerProcesses implements AutoCloseable {
    private final Path dir;
    private final Map<Integer, Process> nodes = new TreeMap<>();
    private final Map<Integer, Integer> clientPorts = new TreeMap<>();

    private BrokerProcesses(Path dir) {
      this.dir = dir;
    }

    /**
     * Starts {@code n} nodes and returns once each has printed that it serves, i.e. the cluster has
     * formed and the topics of {@code run} exist.
     */
    static BrokerProcesses start(Path dir, int n, String run) throws IOException, InterruptedException {
      var cluster = new BrokerProcesses(dir);
      try {
        Files.createDirectories(dir);
        List<Integer> ports = freePorts(2 * n);
        List<String> voters = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
          cluster.clientPorts.put(id, ports.get(2 * (id - 1)));
          voters.add(id + "@127.0.0.1:" + ports.get(2 * (id - 1) + 1));
        }
        for (int id = 1; id <= n; id++) {
          // Client JIT only and a serial collector: three brokers share two cores with the whole pipeline,
          // and a mostly idle test broker gains nothing from C2's compile time or parallel GC threads.
          List<String> cmd = new ArrayList<>(List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
              "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "broker",
              "--node-id", Integer.toString(id), "--port", Integer.toString(cluster.clientPorts.get(id)),
              "--voters", String.join(",", voters), "--data-dir", dir.resolve("node-" + id).toString(),
              "--run", run, "--start-timeout", "2m"));
          cluster.nodes.put(id, new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
              .redirectOutput(cluster.log(id).toFile()).start());
        }
        for (int id = 1; id <= n; id++) {
          cluster.awaitServing(id, Duration.ofMinutes(3));
        }
        return cluster;
      } catch (IOException | InterruptedException | RuntimeException | Error e) {
        cluster.close();
        throw e;
      }
    }

    /** Bootstrap servers naming every node, as clients of a real cluster are configured. */
    KafkaConnection connection() {
      return KafkaConnection.of(clientPorts.values().stream().map(p -> "127.0.0.1:" + p)
          .collect(Collectors.joining(",")));
    }

    Path dir() {
      return dir;
    }

    /** SIGKILL: no shutdown hook, no controlled shutdown, nothing flushed. */
    void kill(int id) throws InterruptedException {
      Process p = nodes.get(id);
      p.destroyForcibly();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "node " + id + " did not die");
    }

    private Path log(int id) {
      return dir.resolve("node-" + id + ".log");
    }

    private void awaitServing(int id, Duration timeout) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        String log = Files.exists(log(id)) ? Files.readString(log(id), StandardCharsets.UTF_8) : "";
        if (log.contains("Ctrl-C stops it")) {
          return;
        }
        Process p = nodes.get(id);
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("broker node " + id + (p.isAlive() ? " not serving in time" : " exited "
              + p.exitValue()) + ":\n" + log);
        }
        Thread.sleep(200);
      }
    }

    private static List<Integer> freePorts(int n) throws IOException {
      List<ServerSocket> sockets = new ArrayList<>();
      try {
        Set<Integer> ports = new HashSet<>();
        while (ports.size() < n) {
          var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
          sockets.add(socket);
          ports.add(socket.getLocalPort());
        }
        return List.copyOf(ports);
      } finally {
        for (ServerSocket s : sockets) {
          s.close();
        }
      }
    }

    @Override
    public void close() {
      for (Process p : nodes.values()) {
        p.destroyForcibly();
      }
      for (Process p : nodes.values()) {
        try {
          p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
