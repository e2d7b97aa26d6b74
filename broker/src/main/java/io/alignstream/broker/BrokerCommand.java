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
 * processes can share it, until Ctrl-C; or, with {@code --voters}, one node of a cluster.
 */
@Command(name = "broker",
    description = {
        "Runs a single-node Kafka broker (KRaft, broker and controller in one) on 127.0.0.1 until Ctrl-C.",
        "Other alignstream commands started without --bootstrap find it on 127.0.0.1:9092 and share it.",
        "Its data stays in --data-dir: restarting on the same directory keeps every topic and record.",
        "Creates the topics of --run on start and lists them.",
        "",
        "With --voters it is one node of a cluster: start every node with the same --voters and its own --node-id, "
            + "ports and --data-dir, e.g. --voters 1@h1:9093,2@h2:9093,3@h3:9093 with --node-id 1 on h1 "
            + "(--host 0.0.0.0 --advertised-host h1), 2 on h2 and 3 on h3; clients then use --bootstrap "
            + "h1:9092,h2:9092,h3:9092. Topics get one replica per node (at most 3) and a write needs all but one "
            + "of them, so the cluster goes on when any one node dies."})
public final class BrokerCommand implements Callable<Integer> {
  /** How long Ctrl-C may take to stop the broker before the JVM exits anyway. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  private boolean help;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + BrokerConfig.DEFAULT_PORT,
      description = "Client port (0 = a free one). Default: ${DEFAULT-VALUE}.")
  private int port;

  @Option(names = "--controller-port", paramLabel = "PORT",
      description = "KRaft controller port (0 = a free one). Default: " + BrokerConfig.DEFAULT_CONTROLLER_PORT
          + "; with --voters, the port of this node's entry.")
  private Integer controllerPort;

  @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = BrokerConfig.DEFAULT_HOST,
      description = "Address to listen on; 0.0.0.0 for every interface (then give --advertised-host). "
          + "Default: ${DEFAULT-VALUE}.")
  private String host;

  @Option(names = "--advertised-host", paramLabel = "HOST",
      description = "Name or address clients and the other nodes use to reach this node. Default: --host.")
  private String advertisedHost;

  @Option(names = "--node-id", paramLabel = "ID", defaultValue = "" + BrokerConfig.DEFAULT_NODE_ID,
      description = "This node's id, one of the --voters' ids. Default: ${DEFAULT-VALUE}.")
  private int nodeId;

  @Option(names = "--voters", paramLabel = "ID@HOST:PORT", split = ",",
      description = "Controller quorum of a cluster, the same list on every node: each node's id and "
          + "controller address. Default: this node alone.")
  private List<String> voters = List.of();

  @Option(names = "--cluster-id", paramLabel = "ID",
      description = "Cluster id (22 characters). Default: derived from --voters, so the nodes agree; "
          + "for a node alone, a random id kept in --data-dir.")
  private String clusterId;

  @Option(names = "--start-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      defaultValue = "60s", description = "How long start-up, and a cluster's assembly, may take. Default: ${DEFAULT-VALUE}.")
  private Duration startTimeout;

  @Option(names = "--replication-factor", paramLabel = "N",
      description = "Replicas of the run's topics created on start, with min.insync.replicas N-1 (N>1). "
          + "Default: one per node, at most 3.")
  private Integer replicationFactor;

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
      BrokerConfig config = config();
      Replication replication = replicationFactor == null ? config.replication() : Replication.of(replicationFactor);
      serve(config, Topics.forRun(run), replication, System.out, stop);
      return 0;
    } finally {
      stopped.countDown();
    }
  }

  /** The node these options describe (validated). */
  BrokerConfig config() {
    int controller = controllerPort != null ? controllerPort : voters.isEmpty() ? BrokerConfig.DEFAULT_CONTROLLER_PORT : 0;
    return new BrokerConfig(dataDir, host, advertisedHost != null ? advertisedHost : host, port, controller, nodeId,
        voters, clusterId, startTimeout);
  }

  /**
   * Starts the broker, creates the run's topics with {@code replication}, prints the address and
   * the topics, and serves until {@code stop} opens; the broker is stopped before it returns. A
   * node of a cluster first waits, up to its start timeout, for enough nodes to hold the replicas;
   * if they do not come it serves anyway and leaves the topics to the first service.
   */
  static void serve(BrokerConfig config, Topics topics, Replication replication, PrintStream out,
      CountDownLatch stop) throws InterruptedException {
    try (EmbeddedBroker broker = EmbeddedBroker.start(config)) {
      if (config.clusterSize() == 1) {
        out.println("Kafka broker ready: bootstrap " + broker.bootstrapServers()
            + "  (cluster " + broker.clusterId() + ", data " + config.dataDir().toAbsolutePath() + ")");
      } else {
        out.println("Kafka node " + config.nodeId() + " of " + config.clusterSize() + " ready: bootstrap "
            + broker.bootstrapServers() + "  (cluster " + broker.clusterId() + ", voters " + config.quorumVoters()
            + ", data " + config.dataDir().toAbsolutePath() + ")");
      }
      out.println();
      try (TopicAdmin admin = TopicAdmin.open(broker.connection(), replication.factor())) {
        int running = awaitBrokers(broker, replication.factor(), config.startTimeout());
        if (running >= replication.factor()) {
          out.print(table(admin.ensure(topics)));
        } else {
          out.println("Only " + running + " of the " + replication.factor() + " nodes that the run's topics need are "
              + "running: topics not created. Start the other nodes; the first service creates them.");
        }
      }
      out.println();
      out.println((config.clusterSize() == 1 ? "Other commands on this machine use it automatically; elsewhere pass"
          : "Pass") + " --bootstrap " + broker.bootstrapServers() + (config.clusterSize() == 1 ? "" : ",<the other nodes>")
          + ". Ctrl-C stops it.");
      out.flush();
      stop.await();
      out.println("Stopping the broker...");
    }
  }

  /** Waits until {@code wanted} brokers are running or {@code timeout} passes; returns how many run. */
  private static int awaitBrokers(EmbeddedBroker broker, int wanted, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (var admin = broker.connection().admin()) {
      while (true) {
        int running = TopicAdmin.brokers(admin);
        if (running >= wanted || System.nanoTime() > deadline) {
          return running;
        }
        Thread.sleep(200);
      }
    }
  }

  /** The topics as an aligned text table: name, partitions, configs, created or found. */
  static String table(List<TopicAdmin.TopicState> states) {
    int nameWidth = "TOPIC".length();
    for (var s : states) {
      nameWidth = Math.max(nameWidth, s.name().length());
    }
    String row = "%-" + nameWidth + "s  %10s  %8s  %-8s  %s%n";
    var sb = new StringBuilder(String.format(row, "TOPIC", "PARTITIONS", "REPLICAS", "STATUS", "CONFIGS"));
    for (var s : states) {
      String configs = new TreeMap<>(s.configs()).toString().replaceAll("[{}]", "");
      sb.append(String.format(row, s.name(), s.partitions(), s.replicas(),
          s.outcome() == TopicAdmin.Outcome.CREATED ? "created" : "found", configs));
    }
    return sb.toString();
  }
}
