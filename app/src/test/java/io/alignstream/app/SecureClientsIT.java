package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.runtime.ResourceReport;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.TopicReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #8, security basics, against a real broker that takes SASL/PLAIN clients only: the settings
 * in a {@code --kafka-config} file reach every client the commands make (admin, producers, the ingest
 * topology's consumers and transactional producer, the batch-verdict consumer, the export reader, a
 * service's loop consumer, weight reader and metrics producer), since none of them could do anything
 * without; and the password appears nowhere in what the processes print, with the Kafka clients
 * logging at DEBUG (their config dumps show it as {@code [hidden]}).
 */
class SecureClientsIT {
  static final String USER = "alice";
  /** Unique, so finding it anywhere in a log can only mean it leaked. */
  static final String SECRET = "pw-" + UUID.randomUUID();

  @TempDir
  Path dir;
  private KafkaRaftServer broker;
  private String bootstrap;

  @BeforeEach
  void startSaslBroker() throws Exception {
    int port = freePort();
    int controllerPort = freePort();
    bootstrap = "127.0.0.1:" + port;
    Path logs = Files.createDirectories(dir.resolve("kafka"));
    var p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("listeners", "SASL_PLAINTEXT://" + bootstrap + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "SASL_PLAINTEXT://" + bootstrap);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "SASL_PLAINTEXT");
    p.put("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("sasl.enabled.mechanisms", "PLAIN");
    p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
    p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"broker\" password=\"broker-pw\" "
            + "user_broker=\"broker-pw\" user_" + USER + "=\"" + SECRET + "\";");
    p.put("log.dirs", logs.toString());
    for (String k : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr")) {
      p.put(k, "1");
    }
    p.put("offsets.topic.num.partitions", "3");
    p.put("transaction.state.log.num.partitions", "3");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("message.max.bytes", Integer.toString(Topics.WEIGHT_RECORD_MAX_BYTES));
    Path file = logs.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, null);
    }
    var formatOutput = new ByteArrayOutputStream();
    assertEquals(0, StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
        file.toString(), "--ignore-formatted"}, new PrintStream(formatOutput, true, StandardCharsets.UTF_8)),
        formatOutput.toString(StandardCharsets.UTF_8));
    broker = new KafkaRaftServer(KafkaConfig.fromProps(p), Time.SYSTEM);
    broker.startup();
    try (Admin admin = Admin.create(Map.copyOf(secure().adminConfig()))) {
      assertFalse(admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).isEmpty(), "broker ready");
    }
  }

  @AfterEach
  void stopBroker() {
    if (broker != null) {
      broker.shutdown();
      broker.awaitShutdown();
    }
  }

  private KafkaConnection secure() {
    return new KafkaConnection(bootstrap, Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
        "sasl.jaas.config", jaas(SECRET)));
  }

  private static String jaas(String password) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + USER + "\" password=\""
        + password + "\";";
  }

  @Test
  void clientSettingsFromTheFileReachEveryClientAndThePasswordIsNeverPrinted() throws Exception {
    // Given a client properties file with SASL settings, and a broker that refuses anything else
    Path clientProperties = dir.resolve("client.properties");
    var props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("security.protocol", "SASL_PLAINTEXT");
    props.put("sasl.mechanism", "PLAIN");
    props.put("sasl.jaas.config", jaas(SECRET));
    try (OutputStream out = Files.newOutputStream(clientProperties)) {
      props.store(out, null);
    }
    try (Admin plain = Admin.create(Map.of("bootstrap.servers", bootstrap, "request.timeout.ms", 2_000,
        "default.api.timeout.ms", 4_000))) {
      assertThrows(ExecutionException.class, () -> plain.describeCluster().nodes().get(10, TimeUnit.SECONDS),
          "a client without the settings gets nowhere");
    }
    Path demos = dir.resolve("demos.jsonl");
    Files.writeString(demos, """
        {"prompt": "what is 2 plus 2 ?", "response": "2 plus 2 is 4 ."}
        {"prompt": "name a color .", "response": "blue ."}
        {"prompt": "say hello .", "response": "hello !"}
        """);
    String config = clientProperties.toString();
    List<Path> logs = new ArrayList<>();

    // When produce (admin, producer, ingest topology, verdict consumer) runs with only that file
    Path produce = dir.resolve("produce.log");
    logs.add(produce);
    assertEquals(0, run(produce, "produce", "--kafka-config", config, "--run", "secure", "--wait", "90s", "--ingest",
        demos.toString()), () -> tail(produce));
    assertTrue(read(produce).contains("sent 3: 3 accepted, 0 duplicates, 0 rejected"), () -> tail(produce));

    // And export (a group-less reader) runs with it
    Path export = dir.resolve("export.log");
    Path exported = dir.resolve("demonstrations.jsonl");
    logs.add(export);
    assertEquals(0, run(export, "export", "--kafka-config", config, "--run", "secure", "--topic", "demonstrations",
        "--out", exported.toString()), () -> tail(export));
    assertEquals(3, Files.readAllLines(exported).size());

    // And a service (the rewarder: its metrics producers and weight reader) starts with it and reports,
    // and the dashboard (a group-less reader) shows that report through the same settings
    Path rewarderLog = dir.resolve("rewarder.log");
    Path dashboardLog = dir.resolve("dashboard.log");
    logs.add(rewarderLog);
    logs.add(dashboardLog);
    Process rewarder = start(rewarderLog, "rewarder", "--kafka-config", config, "--run", "secure", "--rewarder-id",
        "r1");
    Process dashboard = null;
    try {
      awaitResourceReport(Topics.forRun("secure"), "r1", rewarder, rewarderLog);
      dashboard = start(dashboardLog, "dashboard", "--kafka-config", config, "--run", "secure", "--port", "0");
      awaitOnDashboard(dashboard, dashboardLog, "process.rss_mb");
    } finally {
      for (Process p : dashboard == null ? List.of(rewarder) : List.of(rewarder, dashboard)) {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }

    // Then the password was printed nowhere, though the clients dumped their configs
    String all = logs.stream().map(SecureClientsIT::read).collect(Collectors.joining("\n"));
    assertFalse(all.contains(SECRET), "the password leaked into a log");
    assertTrue(all.contains("sasl.jaas.config = [hidden]"), "the clients logged their configs (masked)");
    assertTrue(all.contains("security.protocol = SASL_PLAINTEXT"), "with the file's settings");
  }

  private void awaitResourceReport(Topics topics, String source, Process p, Path log) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (TopicReader.readCommitted(secure(), topics.metrics).stream()
        .noneMatch(r -> r.value().getSource().equals(source) && r.value().getName().equals(ResourceReport.RSS_MB))) {
      assertTrue(p.isAlive(), "the rewarder died: " + tail(log));
      assertTrue(System.nanoTime() < deadline, "no metrics from " + source + ": " + tail(log));
      Thread.sleep(500);
    }
  }

  /** Waits until the dashboard's page data holds {@code text}. */
  private static void awaitOnDashboard(Process p, Path log, String text) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    var url = java.util.regex.Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/)");
    var http = java.net.http.HttpClient.newHttpClient();
    while (true) {
      assertTrue(p.isAlive(), "the dashboard died: " + tail(log));
      assertTrue(System.nanoTime() < deadline, "'" + text + "' never showed on the dashboard: " + tail(log));
      var m = url.matcher(read(log));
      if (m.find()) {
        String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(m.group(1) + "api/metrics"))
            .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        if (body.contains(text)) {
          return;
        }
      }
      Thread.sleep(500);
    }
  }

  /** Runs {@code alignstream <args>} as its own process with the Kafka clients logging at DEBUG. */
  private int run(Path log, String... args) throws Exception {
    Process p = start(log, args);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), () -> "finished: " + tail(log));
    return p.exitValue();
  }

  private Process start(Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.alignstream.schemas",
        "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=debug",
        "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients.NetworkClient=debug",
        "-cp", absoluteClassPath(), Main.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static String absoluteClassPath() {
    return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** The end of a log, for failure messages (the clients log at DEBUG: the whole is long). */
  private static String tail(Path log) {
    String all = read(log);
    return all.length() <= 4000 ? all : "..." + all.substring(all.length() - 4000);
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }
}
