package io.alignstream.testkit;

import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The one place integration tests get a Kafka broker. Chosen once per JVM, first match wins:
 * <ol>
 *   <li>{@code KAFKA_BOOTSTRAP} is set: that external cluster ({@code KAFKA_CONFIG} may name a client
 *       properties file, {@code KAFKA_REPLICATION_FACTOR} the replicas of created topics);</li>
 *   <li>a Docker engine answers (and {@code KAFKA_FIXTURE} is not {@code embedded}): an
 *       {@code apache/kafka} container ({@code KAFKA_IMAGE} overrides the image, default the Kafka
 *       client version's);</li>
 *   <li>otherwise: the embedded broker on a free port with a temporary data dir.</li>
 * </ol>
 * The broker is started lazily on first use and stopped (its data deleted) when the JVM exits.
 *
 * <p>As a JUnit 5 extension ({@code @ExtendWith(KafkaFixture.class)}) it injects test parameters:
 * a {@link KafkaConnection} to the shared broker, and a {@link Topics} of a fresh run whose topics
 * already exist, unique to the test, so tests never see each other's records.
 */
public final class KafkaFixture implements ParameterResolver {
  private static final Logger log = LoggerFactory.getLogger(KafkaFixture.class);

  /** Which kind of broker the tests run against. */
  public enum Kind { EXTERNAL, TESTCONTAINERS, EMBEDDED }

  private record Broker(Kind kind, KafkaConnection connection, int replicationFactor) {}

  private static Broker shared; // guarded by KafkaFixture.class

  /** A connection to the broker shared by this JVM's tests, starting it if needed. */
  public static KafkaConnection connection() {
    return broker().connection();
  }

  /** The kind of broker this JVM's tests use. */
  public static Kind kind() {
    return broker().kind();
  }

  /** The topics of a new, uniquely named run, created on the shared broker. */
  public static Topics freshTopics() {
    return freshTopics("it");
  }

  /** Like {@link #freshTopics()}, with {@code hint} (e.g. the test name) at the start of the run id. */
  public static Topics freshTopics(String hint) {
    Broker b = broker();
    return createTopics(b.connection(), b.replicationFactor(), hint);
  }

  /** The topics of a new, uniquely named run, created on {@code connection} with one replica. */
  public static Topics freshTopics(KafkaConnection connection, String hint) {
    return createTopics(connection, 1, hint);
  }

  /** A run id that no other test uses: {@code hint} cleaned up, then a random suffix. */
  public static String uniqueRunId(String hint) {
    String clean = hint.replaceAll("[^A-Za-z0-9_-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
    if (clean.isEmpty()) {
      clean = "it";
    }
    clean = clean.substring(0, Math.min(clean.length(), 40));
    return clean + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KafkaConnection.class || type == Topics.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() == KafkaConnection.class) {
      return connection();
    }
    return freshTopics(context.getTestMethod().map(m -> m.getName()).orElse(context.getDisplayName()));
  }

  private static Topics createTopics(KafkaConnection connection, int replicationFactor, String hint) {
    Topics topics = Topics.forRun(uniqueRunId(hint));
    try (TopicAdmin admin = TopicAdmin.open(connection, replicationFactor)) {
      admin.ensure(topics);
    }
    return topics;
  }

  private static synchronized Broker broker() {
    if (shared == null) {
      shared = start();
    }
    return shared;
  }

  private static Broker start() {
    String bootstrap = System.getenv("KAFKA_BOOTSTRAP");
    if (bootstrap != null && !bootstrap.isBlank()) {
      String config = System.getenv("KAFKA_CONFIG");
      KafkaConnection connection = config == null || config.isBlank()
          ? KafkaConnection.of(bootstrap)
          : KafkaConnection.load(bootstrap, Path.of(config));
      String rf = System.getenv("KAFKA_REPLICATION_FACTOR");
      int replicationFactor = rf == null || rf.isBlank() ? 1 : Integer.parseInt(rf.strip());
      log.info("Kafka for tests: external cluster {} (KAFKA_BOOTSTRAP), replication factor {}",
          connection.redacted(), replicationFactor);
      return new Broker(Kind.EXTERNAL, connection, replicationFactor);
    }
    // KAFKA_FIXTURE=embedded skips Docker, e.g. where an engine runs but cannot pull images.
    boolean embeddedOnly = "embedded".equalsIgnoreCase(System.getenv("KAFKA_FIXTURE"));
    if (!embeddedOnly && DockerClientFactory.instance().isDockerAvailable()) {
      return startContainer();
    }
    return startEmbedded();
  }

  private static Broker startContainer() {
    String image = System.getenv().getOrDefault("KAFKA_IMAGE",
        "apache/kafka:" + AppInfoParser.getVersion().toLowerCase(Locale.ROOT));
    var container = new KafkaContainer(image);
    container.start();
    Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "kafka-fixture-stop"));
    log.info("Kafka for tests: Testcontainers {} on {}", image, container.getBootstrapServers());
    return new Broker(Kind.TESTCONTAINERS, KafkaConnection.of(container.getBootstrapServers()), 1);
  }

  private static Broker startEmbedded() {
    Path dir;
    try {
      dir = Files.createTempDirectory("alignstream-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary data dir for the embedded broker", e);
    }
    long t0 = System.nanoTime();
    EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(dir));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      broker.close();
      deleteRecursively(dir);
    }, "kafka-fixture-stop"));
    log.info("Kafka for tests: embedded broker on {} (no KAFKA_BOOTSTRAP; no Docker or KAFKA_FIXTURE=embedded), "
        + "started in {} ms", broker.bootstrapServers(), (System.nanoTime() - t0) / 1_000_000);
    return new Broker(Kind.EMBEDDED, broker.connection(), 1);
  }

  /** Deletes a temporary tree; runs in a shutdown hook, so failures are ignored. */
  static void deleteRecursively(Path dir) {
    try {
      ScratchDirectory.deleteTree(dir);
    } catch (IOException | UncheckedIOException e) {
      // Nothing to do at JVM exit; the OS cleans temporary directories.
    }
  }
}
