package io.alignstream.broker;

import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates a run's topics with their partitions, configs and replication, idempotently, and lists
 * the runs on a cluster.
 *
 * <p>Contract of {@link #ensure}: afterwards every topic of the run exists; topics that existed are
 * left as they are (their configs are not changed) but must have the partition count the run's
 * layout states, otherwise it throws {@link IllegalStateException} naming every mismatch. Running it
 * twice, or from several processes at once, is fine.
 */
public final class TopicAdmin implements AutoCloseable {
  /** How long one admin round trip may take before the call fails. */
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** What {@link #ensure} found or did for one topic. */
  public enum Outcome { CREATED, EXISTED }

  /**
   * One topic after {@link #ensure}: its partitions, replicas per partition, and the configs it was
   * created with (for a topic that existed, the run's layout configs; the topic's own are left alone).
   */
  public record TopicState(String name, int partitions, int replicas, Map<String, String> configs, Outcome outcome) {}

  private final Admin admin;
  private final boolean ownsAdmin;
  private final Replication replication;

  private TopicAdmin(Admin admin, boolean ownsAdmin, Replication replication) {
    this.admin = admin;
    this.ownsAdmin = ownsAdmin;
    this.replication = replication;
  }

  /**
   * Opens its own admin client on {@code connection}; new topics get what the cluster can give
   * ({@link Replication#forCluster}: a replica per running broker, at most 3).
   */
  public static TopicAdmin open(KafkaConnection connection) {
    Admin admin = connection.admin();
    try {
      return new TopicAdmin(admin, true, Replication.forCluster(brokers(admin)));
    } catch (RuntimeException e) {
      admin.close(TIMEOUT);
      throw e;
    }
  }

  /**
   * Opens its own admin client on {@code connection}; new topics get {@code replicationFactor}
   * replicas, with {@code min.insync.replicas} per {@link Replication#of}.
   */
  public static TopicAdmin open(KafkaConnection connection, int replicationFactor) {
    Replication replication = Replication.of(replicationFactor); // validates before a client is opened
    return new TopicAdmin(connection.admin(), true, replication);
  }

  /** Uses {@code admin} without closing it. */
  public static TopicAdmin using(Admin admin, int replicationFactor) {
    return new TopicAdmin(admin, false, Replication.of(replicationFactor));
  }

  /** The replication new topics get. */
  public Replication replication() {
    return replication;
  }

  /** How many brokers of the cluster are running (registered and not fenced). */
  public static int brokers(Admin admin) {
    try {
      return await(admin.describeCluster().nodes(), "describe the cluster").size();
    } catch (ExecutionException e) {
      throw failure("cannot describe the Kafka cluster", e);
    }
  }

  /** The configs a topic of the run is created with: its layout's, plus the write quorum of its replicas. */
  Map<String, String> creationConfigs(Topic<?, ?> topic) {
    var configs = new LinkedHashMap<>(topic.configs());
    configs.putIfAbsent("min.insync.replicas", Integer.toString(replication.minInsync()));
    return Map.copyOf(configs);
  }

  /** Creates the run's missing topics and checks the existing ones; returns them in pipeline order. */
  public List<TopicState> ensure(Topics topics) {
    var created = new LinkedHashMap<String, KafkaFuture<Void>>();
    var newTopics = topics.all().stream()
        .map(t -> new NewTopic(t.name(), Optional.of(t.partitions()), Optional.of((short) replication.factor()))
            .configs(creationConfigs(t)))
        .toList();
    admin.createTopics(newTopics).values().forEach(created::put);

    var states = new ArrayList<TopicState>();
    var mismatches = new ArrayList<String>();
    for (Topic<?, ?> topic : topics.all()) {
      try {
        await(created.get(topic.name()), "create topic " + topic.name());
        states.add(new TopicState(topic.name(), topic.partitions(), replication.factor(), creationConfigs(topic),
            Outcome.CREATED));
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw failure("cannot create topic " + topic.name(), e);
        }
        states.add(null); // an existing topic: filled in below, once described
      }
    }
    // Describe every topic, not only existing ones: a created topic is usable only once the brokers
    // have applied it, and describing it waits for that.
    Map<String, TopicDescription> described = describeWhenVisible(topics.all().stream().map(Topic::name).toList());
    for (int i = 0; i < states.size(); i++) {
      if (states.get(i) != null) {
        continue;
      }
      Topic<?, ?> topic = topics.all().get(i);
      TopicDescription description = described.get(topic.name());
      int actual = description.partitions().size();
      if (actual != topic.partitions()) {
        mismatches.add(topic.name() + " has " + actual + " partitions, the run's layout needs " + topic.partitions());
      }
      // An existing topic keeps its replicas: changing them is a reassignment, an operator's decision.
      int replicas = description.partitions().isEmpty() ? 0 : description.partitions().get(0).replicas().size();
      states.set(i, new TopicState(topic.name(), actual, replicas, topic.configs(), Outcome.EXISTED));
    }
    if (!mismatches.isEmpty()) {
      throw new IllegalStateException("run '" + topics.runId() + "' exists with a different topic layout: "
          + String.join("; ", mismatches) + ". Use a new --run id, or delete this run's topics.");
    }
    return List.copyOf(states);
  }

  /** Ids of the runs that have at least one topic on the cluster, sorted. */
  public SortedSet<String> runs() {
    try {
      var runs = new TreeSet<String>();
      for (String name : await(admin.listTopics().names(), "list topics")) {
        Topics.runOf(name).ifPresent(runs::add);
      }
      return runs;
    } catch (ExecutionException e) {
      throw failure("cannot list topics", e);
    }
  }

  @Override
  public void close() {
    if (ownsAdmin) {
      admin.close(TIMEOUT);
    }
  }

  /**
   * Describes {@code names}, retrying while a broker does not know them yet or a partition has no
   * leader: a topic that was just created becomes usable only after the brokers apply the
   * controller's metadata.
   */
  private Map<String, TopicDescription> describeWhenVisible(List<String> names) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> described = await(admin.describeTopics(names).allTopicNames(),
            "describe topics " + names);
        boolean led = described.values().stream()
            .flatMap(d -> d.partitions().stream())
            .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (led || System.nanoTime() > deadline) {
          return described;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw failure("cannot describe topics " + names, e);
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for topics " + names, e);
      }
    }
  }

  private static <T> T await(KafkaFuture<T> future, String what) throws ExecutionException {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + what, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not answer within " + TIMEOUT.toSeconds() + " s: " + what, e);
    }
  }

  private static IllegalStateException failure(String what, ExecutionException e) {
    Throwable cause = e.getCause() == null ? e : e.getCause();
    return new IllegalStateException(what + ": " + cause.getMessage(), cause);
  }
}
