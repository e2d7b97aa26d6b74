package io.alignstream.broker;

import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;

/**
 * Where the cluster is and how to talk to it: bootstrap servers plus the user's client properties
 * (SASL, SSL, timeouts...), which are passed to every client built from it.
 *
 * <p>Precedence, lowest first: alignstream's defaults for the client kind, then the user's
 * properties, then what the caller names explicitly (group id, transactional id, application id) and
 * {@code bootstrap.servers}. Values that may be secrets never reach a log: {@link #toString()} and
 * {@link #redacted()} mask them.
 *
 * @param bootstrapServers {@code host:port[,host:port...]}
 * @param clientProperties user client properties (never containing {@code bootstrap.servers})
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> clientProperties) {
  private static final String BOOTSTRAP = "bootstrap.servers";
  private static final String MASK = "[redacted]";
  private static final List<String> SECRET_MARKERS =
      List.of("password", "secret", "jaas", "key", "token", "credential", "auth.user.info");

  public KafkaConnection {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    if (bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers are blank: give host:port[,host:port...]");
    }
    for (String server : bootstrapServers.split(",")) {
      String s = server.strip();
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || colon == s.length() - 1 || !s.substring(colon + 1).chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("bootstrap server '" + s + "' is not host:port, e.g. 127.0.0.1:9092");
      }
    }
    var copy = new HashMap<>(clientProperties);
    copy.remove(BOOTSTRAP); // the explicit bootstrap always wins; keep one source of truth
    clientProperties = Map.copyOf(copy);
  }

  /** A plaintext connection with no extra client properties. */
  public static KafkaConnection of(String bootstrapServers) {
    return new KafkaConnection(bootstrapServers, Map.of());
  }

  /**
   * Reads client properties from {@code file} (Java properties format). {@code bootstrapServers}
   * may be null, in which case the file must set {@code bootstrap.servers}.
   *
   * @throws IllegalArgumentException if the file cannot be read or no bootstrap is known
   */
  public static KafkaConnection load(String bootstrapServers, Path file) {
    var props = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      props.load(in);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException("Kafka client properties file not found: " + file, e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read Kafka client properties from " + file + ": " + e.getMessage(), e);
    }
    var map = new HashMap<String, String>();
    props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k)));
    String bootstrap = bootstrapServers != null ? bootstrapServers : map.get(BOOTSTRAP);
    if (bootstrap == null) {
      throw new IllegalArgumentException("no bootstrap servers: pass --bootstrap HOST:PORT or set bootstrap.servers in " + file);
    }
    return new KafkaConnection(bootstrap, map);
  }

  /**
   * Whether {@code key} may hold a secret: passwords, secrets, JAAS configs, key material, tokens and
   * credentials ({@code basic.auth.user.info} carries {@code user:password}). Errs towards masking.
   */
  public static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return SECRET_MARKERS.stream().anyMatch(k::contains);
  }

  /** Every client property with secret values masked, sorted by key, for logs and diagnostics. */
  public Map<String, String> redacted() {
    var out = new TreeMap<String, String>();
    out.put(BOOTSTRAP, bootstrapServers);
    clientProperties.forEach((k, v) -> out.put(k, isSecret(k) ? MASK : v));
    return out;
  }

  @Override
  public String toString() {
    return "KafkaConnection" + redacted();
  }

  /** Settings for an {@link Admin} client. */
  public Map<String, Object> adminConfig() {
    return merge(Map.of(), Map.of());
  }

  /** Opens an admin client; the caller closes it. */
  public Admin admin() {
    return Admin.create(adminConfig());
  }

  /**
   * Settings for an idempotent producer ({@code acks=all}) that can send weight-chunk-sized
   * records. Serializers are passed to the producer's constructor from a {@code Topic}'s serdes.
   */
  public Map<String, Object> producerConfig() {
    return merge(producerDefaults(), Map.of());
  }

  /**
   * Settings for a transactional producer. A transactional id names one producer instance across
   * restarts: a restarted instance with the same id fences its zombie predecessor.
   */
  public Map<String, Object> transactionalProducerConfig(String transactionalId) {
    requireText("transactional id", transactionalId);
    return merge(producerDefaults(), Map.of("transactional.id", transactionalId));
  }

  /**
   * Settings for a consumer in group {@code groupId}. It reads only committed transactional data
   * ({@code isolation.level=read_committed}) and a new group starts at the earliest offset, since a
   * run's topics are its whole record.
   */
  public Map<String, Object> consumerConfig(String groupId) {
    requireText("group id", groupId);
    return merge(Map.of(
        "isolation.level", "read_committed",
        "auto.offset.reset", "earliest"), Map.of("group.id", groupId));
  }

  /**
   * Settings for the consumer of an exactly-once consume-transform-produce loop: a member of
   * {@code groupId} that never commits on its own (offsets are committed inside the producer's
   * transactions) and hands out at most {@code maxPollRecords} records a poll.
   */
  public Map<String, Object> loopConsumerConfig(String groupId, String clientId, int maxPollRecords) {
    requireText("client id", clientId);
    Map<String, Object> c = new HashMap<>(consumerConfig(groupId));
    c.put("enable.auto.commit", "false");
    c.put("max.poll.records", maxPollRecords);
    c.put("client.id", clientId);
    return c;
  }

  /**
   * Settings for the producer of such a loop: transactional, with a transaction time-out that bounds
   * how long a crashed instance's open transaction blocks {@code read_committed} readers.
   */
  public Map<String, Object> loopProducerConfig(String transactionalId, String clientId, Duration transactionTimeout) {
    requireText("client id", clientId);
    Map<String, Object> p = new HashMap<>(transactionalProducerConfig(transactionalId));
    p.put("transaction.timeout.ms", (int) transactionTimeout.toMillis());
    p.put("client.id", clientId);
    return p;
  }

  /**
   * Settings for a consumer with no group that assigns partitions itself (weight followers, whole-topic
   * readers): read_committed, nothing committed.
   */
  public Map<String, Object> readerConfig(String clientId) {
    requireText("client id", clientId);
    return merge(Map.of(
        "isolation.level", "read_committed",
        "auto.offset.reset", "earliest",
        "enable.auto.commit", "false"), Map.of("client.id", clientId));
  }

  /**
   * Replication factor that means "the cluster's {@code default.replication.factor}", for Kafka
   * Streams' internal topics. The embedded broker sets that default to what the cluster can give
   * ({@link BrokerConfig#replication()}): 1 on one node, 3 on three, so a Streams application's
   * changelogs survive a broker's death exactly like the run's own topics.
   */
  public static final int CLUSTER_DEFAULT_REPLICATION = -1;

  /**
   * Settings for a Kafka Streams application with exactly-once processing.
   *
   * @param applicationId the Streams application id (also its group id and internal topic prefix)
   * @param stateDir directory for the application's local state stores
   * @param replicationFactor replication of the internal changelog and repartition topics, or
   *     {@link #CLUSTER_DEFAULT_REPLICATION}
   */
  public Properties streamsConfig(String applicationId, Path stateDir, int replicationFactor) {
    requireText("application id", applicationId);
    Objects.requireNonNull(stateDir, "stateDir");
    if (replicationFactor < 1 && replicationFactor != CLUSTER_DEFAULT_REPLICATION) {
      throw new IllegalArgumentException("replication factor must be at least 1 (or "
          + CLUSTER_DEFAULT_REPLICATION + " for the cluster's default), got " + replicationFactor);
    }
    // Literal keys: the broker module does not depend on kafka-streams for StreamsConfig's constants.
    var defaults = new HashMap<String, Object>();
    defaults.put("processing.guarantee", "exactly_once_v2");
    defaults.put("replication.factor", Integer.toString(replicationFactor));
    defaults.put("consumer.auto.offset.reset", "earliest");
    defaults.put("producer.max.request.size", Integer.toString(Topics.WEIGHT_RECORD_MAX_BYTES));
    defaults.put("producer." + MAX_IN_FLIGHT, "1"); // see producerDefaults()
    var props = new Properties();
    props.putAll(merge(defaults, Map.of(
        "application.id", applicationId,
        "state.dir", stateDir.toString())));
    return props;
  }

  private static final String MAX_IN_FLIGHT = "max.in.flight.requests.per.connection";

  private static Map<String, Object> producerDefaults() {
    return Map.of(
        "acks", "all",
        "enable.idempotence", "true",
        // Weight chunks are the largest records; the broker-side limit is the topic's max.message.bytes.
        "max.request.size", Integer.toString(Topics.WEIGHT_RECORD_MAX_BYTES),
        // Kafka 4.3.1: a NOT_LEADER_OR_FOLLOWER on a just-created partition, with several batches in
        // flight, can leave an idempotent producer retrying OUT_OF_ORDER_SEQUENCE_NUMBER for ever (seen
        // in ingest, then in the dashboard IT). One request in flight avoids it at a small cost on loopback.
        MAX_IN_FLIGHT, "1");
  }

  private Map<String, Object> merge(Map<String, ?> defaults, Map<String, ?> explicit) {
    var out = new HashMap<String, Object>(defaults);
    out.putAll(clientProperties);
    out.putAll(explicit);
    out.put(BOOTSTRAP, bootstrapServers);
    return out;
  }

  private static void requireText(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
  }
}
