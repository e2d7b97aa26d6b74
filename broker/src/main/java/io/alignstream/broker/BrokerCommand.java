package io.alignstream.broker;

import io.alignstream.schemas.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code alignstream broker}: runs the embedded Kafka broker on its own, so that several service
 * processes can share it, until Ctrl-C.
 */
@Command(name = "broker",
    description = {
        "Runs a single-node Kafka broker (KRaft, broker and controller in one) on 127.0.0.1 until Ctrl-C.",
        "Other alignstream commands started without --bootstrap find it on 127.0.0.1:9092 and share it.",
        "Its data stays in --data-dir: restarting on the same directory keeps every topic and record.",
        "Creates the topics of --run on start and lists them."})
public final class BrokerCommand implements Callable<Integer> {
  /** How long Ctrl-C may take to stop the broker before the JVM exits anyway. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  private boolean help;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + BrokerConfig.DEFAULT_PORT,
      description = "Client port (0 = a free one). Default: ${DEFAULT-VALUE}.")
  private int port;

  @Option(names = "--controller-port", paramLabel = "PORT", defaultValue = "" + BrokerConfig.DEFAULT_CONTROLLER_PORT,
      description = "KRaft controller port (0 = a free one). Default: ${DEFAULT-VALUE}.")
  private int controllerPort;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = BrokerConfig.DEFAULT_DATA_DIR_NAME,
      description = "Where the broker keeps its cluster id, config and logs. Default: ${DEFAULT-VALUE}.")
  private Path dataDir;

  @Option(names = "--run", paramLabel = "ID", defaultValue = Topics.DEFAULT_RUN,
      description = "Run whose topics to create (alignstream.<ID>.*). Default: ${DEFAULT-VALUE}.")
  private String run;

  @Override
  public Integer call() throws InterruptedException {
    var stop = new CountDownLatch(1);
    var stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        // Hold the JVM until the broker has flushed and released its data dir.
        stopped.await(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "alignstream-broker-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      serve(BrokerConfig.of(dataDir, port, controllerPort), Topics.forRun(run), System.out, stop);
      return 0;
    } finally {
      stopped.countDown();
    }
  }

  /**
   * Starts the broker, creates the run's topics, prints the address and the topics, and serves
   * until {@code stop} opens; the broker is stopped before it returns.
   */
  static void serve(BrokerConfig config, Topics topics, PrintStream out, CountDownLatch stop)
      throws InterruptedException {
    try (EmbeddedBroker broker = EmbeddedBroker.start(config)) {
      List<TopicAdmin.TopicState> states;
      try (TopicAdmin admin = TopicAdmin.open(broker.connection())) {
        states = admin.ensure(topics);
      }
      out.println("Kafka broker ready: bootstrap " + broker.bootstrapServers()
          + "  (cluster " + broker.clusterId() + ", data " + config.dataDir().toAbsolutePath() + ")");
      out.println();
      out.print(table(states));
      out.println();
      out.println("Other commands on this machine use it automatically; elsewhere pass --bootstrap "
          + broker.bootstrapServers() + ". Ctrl-C stops it.");
      out.flush();
      stop.await();
      out.println("Stopping the broker...");
    }
  }

  /** The topics as an aligned text table: name, partitions, configs, created or found. */
  static String table(List<TopicAdmin.TopicState> states) {
    int nameWidth = "TOPIC".length();
    for (var s : states) {
      nameWidth = Math.max(nameWidth, s.name().length());
    }
    String row = "%-" + nameWidth + "s  %10s  %-8s  %s%n";
    var sb = new StringBuilder(String.format(row, "TOPIC", "PARTITIONS", "STATUS", "CONFIGS"));
    for (var s : states) {
      String configs = new TreeMap<>(s.configs()).toString().replaceAll("[{}]", "");
      sb.append(String.format(row, s.name(), s.partitions(),
          s.outcome() == TopicAdmin.Outcome.CREATED ? "created" : "found", configs));
    }
    return sb.toString();
  }
}
