package io.alignstream.broker;

import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Option;

/**
 * How a command reaches Kafka: the connection options every command mixes in, through
 * {@link RunOptions} (with {@code --run}) or directly where a command names its run itself (demo,
 * align, replay), and how they turn into a {@link RunSession}.
 *
 * <p>Resolution, first match wins: {@code --bootstrap} (or {@code bootstrap.servers} in
 * {@code --kafka-config}) names an external cluster; else a broker already answering on
 * {@code 127.0.0.1:9092} (such as {@code alignstream broker} in another terminal) is shared; else a
 * broker is started in this process on port 9092 with its data in {@code --data-dir}, and stopped
 * when the session closes. The run's topics are created on open in every case, with
 * {@code --replication-factor} replicas (default: what the cluster can give, see
 * {@link Replication#forCluster}); topics that exist are left as they are.
 */
public final class ClusterOptions {
  /** Where a broker shared by several local processes listens. */
  static final InetSocketAddress LOCAL_BROKER =
      new InetSocketAddress(BrokerConfig.DEFAULT_HOST, BrokerConfig.DEFAULT_PORT);

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT[,...]",
      description = "Bootstrap servers of an external Kafka cluster. Default: a broker on 127.0.0.1:9092 if one "
          + "answers, else one started in this process.")
  private String bootstrap;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties (SASL, SSL, timeouts...) passed to every client; may set bootstrap.servers.")
  private Path kafkaConfig;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = BrokerConfig.DEFAULT_DATA_DIR_NAME,
      description = "Data directory of a broker started in this process. Default: ${DEFAULT-VALUE}.")
  private Path dataDir = BrokerConfig.DEFAULT_DATA_DIR; // initialisers repeat picocli's defaults for of(...)

  @Option(names = "--replication-factor", paramLabel = "N",
      description = "Replicas of each partition of the run's topics when this command creates them, with "
          + "min.insync.replicas N-1 (N>1). Default: one per running broker, at most 3.")
  private Integer replicationFactor; // null: what the cluster can give

  /** How {@link #open} will reach Kafka. */
  sealed interface Plan permits UseExternal, UseLocal, StartEmbedded {}

  record UseExternal(KafkaConnection connection) implements Plan {}

  record UseLocal(KafkaConnection connection) implements Plan {}

  record StartEmbedded(BrokerConfig config) implements Plan {}

  /** Options as picocli would parse them, for code that opens a session without a command line. */
  public static ClusterOptions of(String bootstrap, Path kafkaConfig, Path dataDir) {
    var options = new ClusterOptions();
    options.bootstrap = bootstrap;
    options.kafkaConfig = kafkaConfig;
    options.dataDir = dataDir == null ? BrokerConfig.DEFAULT_DATA_DIR : dataDir;
    return options;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The replication factor asked for, if any; absent means what the cluster can give. */
  public OptionalInt replicationFactor() {
    return replicationFactor == null ? OptionalInt.empty() : OptionalInt.of(replicationFactor);
  }

  /**
   * Resolves the broker, starts one if needed, and creates the run's topics.
   *
   * @param topics the run's topics
   * @param notices where to say which broker is used (one line)
   * @throws IllegalArgumentException for bad options
   * @throws IllegalStateException if no broker can be reached or started
   */
  public RunSession open(Topics topics, PrintStream notices) {
    if (replicationFactor != null) {
      Replication.of(replicationFactor); // a bad value fails before anything starts
    }
    Plan plan = plan(ClusterOptions::answers);
    EmbeddedBroker broker = null;
    KafkaConnection connection;
    // Java 17 has no pattern switch; the Plan interface is sealed, so this chain is exhaustive.
    if (plan instanceof UseExternal external) {
      connection = external.connection();
      notices.println("Kafka: " + connection.bootstrapServers());
    } else if (plan instanceof UseLocal local) {
      connection = local.connection();
      requireKafka(connection);
      notices.println("Kafka: using the broker already running on " + connection.bootstrapServers());
    } else if (plan instanceof StartEmbedded embedded) {
      broker = EmbeddedBroker.start(embedded.config());
      connection = broker.connection();
      notices.println("Kafka: started a broker in this process on " + connection.bootstrapServers()
          + " (data in " + embedded.config().dataDir() + "); it stops when this command ends");
    } else {
      throw new AssertionError("unknown plan " + plan);
    }
    try (TopicAdmin admin = replicationFactor == null
        ? TopicAdmin.open(connection) : TopicAdmin.open(connection, replicationFactor)) {
      List<TopicAdmin.TopicState> states = admin.ensure(topics);
      return new RunSession(connection, topics, states, broker);
    } catch (RuntimeException e) {
      if (broker != null) {
        broker.close();
      }
      throw e;
    }
  }

  /** Decides where Kafka is without starting anything; {@code answers} probes a local address. */
  Plan plan(Predicate<InetSocketAddress> answers) {
    if (bootstrap != null || kafkaConfig != null) {
      KafkaConnection connection = kafkaConfig != null
          ? KafkaConnection.load(bootstrap, kafkaConfig)
          : KafkaConnection.of(bootstrap);
      return new UseExternal(connection);
    }
    if (answers.test(LOCAL_BROKER)) {
      return new UseLocal(KafkaConnection.of(LOCAL_BROKER.getHostString() + ":" + LOCAL_BROKER.getPort()));
    }
    // Port 9092 so other local commands find and share it; the controller port only needs to be free.
    return new StartEmbedded(BrokerConfig.of(dataDir, BrokerConfig.DEFAULT_PORT, 0));
  }

  private static boolean answers(InetSocketAddress address) {
    try (var socket = new Socket()) {
      socket.connect(address, 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Fails loudly when the process on the local port is not a Kafka broker. */
  private static void requireKafka(KafkaConnection connection) {
    try (Admin admin = Admin.create(Map.of(
        "bootstrap.servers", connection.bootstrapServers(),
        "request.timeout.ms", 3_000,
        "default.api.timeout.ms", 5_000))) {
      admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("something answers on " + connection.bootstrapServers()
          + " but it is not a Kafka broker that responds: stop it, or pass --bootstrap for your cluster", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the broker on " + connection.bootstrapServers(), e);
    }
  }
}
