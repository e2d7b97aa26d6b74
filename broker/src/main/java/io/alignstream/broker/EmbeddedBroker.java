package io.alignstream.broker;

import io.alignstream.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka KRaft node (combined broker and controller) running inside this JVM: a cluster of
 * one, or one node of a cluster of several (one JVM or process each, see {@link BrokerConfig#voters()}).
 *
 * <p>Contract: {@link #start} returns only once the broker answers clients and is registered in
 * the cluster's metadata (for a node of a cluster that needs a majority of the voters running), or throws {@link IllegalStateException} with the reason (port in use, data dir
 * held by another broker, not ready within {@link BrokerConfig#startTimeout()}); a failed start
 * leaves nothing running. The data directory keeps the cluster id ({@code cluster.id}), the
 * generated {@code server.properties} and the logs, so starting again on it finds every topic and
 * record. {@link #close()} stops the node and waits for its threads; it is idempotent.
 */
public final class EmbeddedBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedBroker.class);
  private static final String CLUSTER_ID_FILE = "cluster.id";
  /** The lock file Kafka holds in every log directory while a broker uses it. */
  private static final String KAFKA_LOCK_FILE = ".lock";

  private final BrokerConfig config;
  private final String clusterId;
  private final KafkaRaftServer server;
  private boolean closed;

  private EmbeddedBroker(BrokerConfig config, String clusterId, KafkaRaftServer server) {
    this.config = config;
    this.clusterId = clusterId;
    this.server = server;
  }

  /**
   * Formats the data directory if it is new, starts the node, and waits until it is ready.
   *
   * @throws IllegalStateException if it cannot start or is not ready in time
   */
  public static EmbeddedBroker start(BrokerConfig requested) {
    long t0 = System.nanoTime();
    BrokerConfig config = resolvePorts(requested);
    Path logDir = config.dataDir().resolve("logs");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the broker data dir " + config.dataDir().toAbsolutePath()
          + ": " + e.getMessage(), e);
    }
    requireFree(config.host(), config.port(), "--port");
    requireFree(config.host(), config.controllerPort(), "--controller-port");
    requireUnlocked(logDir);

    String clusterId = clusterId(config);
    Properties props = serverProperties(config, logDir);
    Path propsFile = config.dataDir().resolve("server.properties");
    writeProperties(props, propsFile);
    format(clusterId, propsFile);

    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
    var broker = new EmbeddedBroker(config, clusterId, server);
    try {
      server.startup();
      broker.awaitReady(t0);
    } catch (RuntimeException e) {
      broker.close();
      if (e instanceof IllegalStateException ready) {
        throw ready;
      }
      throw new IllegalStateException("the embedded Kafka broker on " + broker.bootstrapServers()
          + " (data dir " + config.dataDir().toAbsolutePath() + ") failed to start: " + e.getMessage(), e);
    }
    log.info("Kafka node {} of {} ready on {} (cluster {}, data dir {}) in {} ms", config.nodeId(), config.clusterSize(),
        broker.bootstrapServers(), clusterId, config.dataDir().toAbsolutePath(), (System.nanoTime() - t0) / 1_000_000);
    return broker;
  }

  public String clusterId() {
    return clusterId;
  }

  /** This node's client address as advertised; any node of a cluster bootstraps a client to all of them. */
  public String bootstrapServers() {
    return config.advertisedHost() + ":" + config.port();
  }

  /** A plaintext connection to this broker. */
  public KafkaConnection connection() {
    return KafkaConnection.of(bootstrapServers());
  }

  /** Stops the node and waits until its threads have ended. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    server.awaitShutdown();
    log.info("Kafka broker on {} stopped", bootstrapServers());
  }

  private void awaitReady(long t0) {
    long deadline = t0 + config.startTimeout().toNanos();
    Exception last = null;
    try (Admin admin = Admin.create(Map.of(
        "bootstrap.servers", bootstrapServers(),
        "request.timeout.ms", 2_000,
        "default.api.timeout.ms", 4_000))) {
      while (System.nanoTime() < deadline) {
        try {
          long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
          // Registered and unfenced: the controller quorum has accepted this node as a broker.
          if (admin.describeCluster().nodes().get(Math.min(leftMs, 4_000), TimeUnit.MILLISECONDS).stream()
              .anyMatch(n -> n.id() == config.nodeId())) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the Kafka broker on " + bootstrapServers(), e);
        }
        sleep(Duration.ofMillis(100));
      }
    }
    throw new IllegalStateException("the embedded Kafka broker on " + bootstrapServers() + " (data dir "
        + config.dataDir().toAbsolutePath() + ") was not ready within " + config.startTimeout().toSeconds() + " s"
        + (last == null ? "" : "; last error: " + last.getMessage()));
  }

  static Properties serverProperties(BrokerConfig config, Path logDir) {
    String host = config.host();
    var p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(config.nodeId()));
    p.put("controller.quorum.voters", config.quorumVoters());
    p.put("listeners", "PLAINTEXT://" + host + ":" + config.port() + ",CONTROLLER://" + host + ":" + config.controllerPort());
    p.put("advertised.listeners", "PLAINTEXT://" + config.advertisedHost() + ":" + config.port());
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toAbsolutePath().toString());
    // Internal topics get as many replicas as the cluster has nodes, up to 3, and accept writes with
    // one replica missing (see Replication.of): on one node a single replica, or the coordinators never
    // load; on three, consumer offsets and transaction state survive a broker's death and transactions
    // go on. The same default serves topics created without a replication factor, such as Kafka Streams'
    // changelogs and repartition topics (KafkaConnection.streamsConfig).
    Replication replication = config.replication();
    String factor = Integer.toString(replication.factor());
    String minInsync = Integer.toString(replication.minInsync());
    p.put("offsets.topic.replication.factor", factor);
    p.put("transaction.state.log.replication.factor", factor);
    p.put("transaction.state.log.min.isr", minInsync);
    p.put("share.coordinator.state.topic.replication.factor", factor);
    p.put("share.coordinator.state.topic.min.isr", minInsync);
    p.put("default.replication.factor", factor);
    p.put("min.insync.replicas", minInsync);
    // Fewer coordinator partitions than the default 50: each costs start-up time on a small machine.
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("group.initial.rebalance.delay.ms", "0");
    // Topics come from TopicAdmin with their partitions and configs; a typo must not create one.
    p.put("auto.create.topics.enable", "false");
    p.put("message.max.bytes", Integer.toString(Topics.WEIGHT_RECORD_MAX_BYTES));
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    // The controller appends a no-op record to the metadata log every 500 ms by default, only so that
    // readers of the log can tell a live quorum from a stalled one; every node applies each of them.
    // Every 5 s keeps that signal and takes an idle node from 27-28 to 17 ms of CPU a second (measured
    // on 2 cores, single node), which the services on a shared machine get back. Broker fencing uses
    // heartbeats, not these records.
    p.put("metadata.max.idle.interval.ms", "5000");
    // A node of a cluster waits in startup() for a quorum of its voters; bound it like readiness.
    p.put("server.max.startup.time.ms", Long.toString(config.startTimeout().toMillis()));
    return p;
  }

  /**
   * Resolves port 0 to free ports now: the quorum needs the controller port before it starts. A
   * node of a cluster already has its controller port, from its voter entry.
   */
  private static BrokerConfig resolvePorts(BrokerConfig config) {
    int controllerPort = config.controllerPort();
    int port = config.port();
    while (port == 0 || port == controllerPort) {
      port = freePort(config.host());
    }
    while (controllerPort == 0 || controllerPort == port) {
      controllerPort = freePort(config.host());
    }
    return config.withPorts(port, controllerPort);
  }

  private static int freePort(String host) {
    try (var socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("cannot find a free port on " + host + ": " + e.getMessage(), e);
    }
  }

  private static void requireFree(String host, int port, String option) {
    try (var socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new IllegalStateException("port " + port + " on " + host + " is in use (" + e.getMessage()
          + "): is another broker running? Stop it, use it with --bootstrap " + host + ":" + port
          + ", or pick another " + option);
    }
  }

  private static void requireUnlocked(Path logDir) {
    Path lockFile = logDir.resolve(KAFKA_LOCK_FILE);
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw lockedBy(logDir, "another process");
      }
      lock.release();
    } catch (OverlappingFileLockException e) {
      throw lockedBy(logDir, "another broker in this JVM");
    } catch (IOException e) {
      throw new IllegalStateException("cannot check the lock of " + logDir.toAbsolutePath() + ": " + e.getMessage(), e);
    }
  }

  private static IllegalStateException lockedBy(Path logDir, String who) {
    return new IllegalStateException("the Kafka data dir " + logDir.getParent().toAbsolutePath() + " is in use by " + who
        + ": stop that broker, connect to it with --bootstrap, or use another --data-dir");
  }

  /**
   * The cluster id kept in the data dir, created on first use: the configured one, else a random
   * one. A data dir formatted for another cluster is refused with both ids named.
   */
  private static String clusterId(BrokerConfig config) {
    Path file = config.dataDir().resolve(CLUSTER_ID_FILE);
    try {
      if (Files.exists(file)) {
        String id = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!id.isEmpty()) {
          if (config.clusterId() != null && !config.clusterId().equals(id)) {
            throw new IllegalStateException("the Kafka data dir " + config.dataDir().toAbsolutePath()
                + " belongs to cluster " + id + ", but this node is configured for cluster " + config.clusterId()
                + " (--cluster-id, or derived from --voters): use that node's own --voters, or another --data-dir");
          }
          return id;
        }
      }
      String id = config.clusterId() != null ? config.clusterId() : Uuid.randomUuid().toString();
      Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the cluster id in " + file, e);
    }
  }

  private static void writeProperties(Properties props, Path file) {
    try (OutputStream out = Files.newOutputStream(file)) {
      props.store(out, "Generated by alignstream for the embedded broker; rewritten at every start.");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Formats the storage like {@code kafka-storage.sh format --ignore-formatted}: a no-op once formatted. */
  private static void format(String clusterId, Path propsFile) {
    var output = new ByteArrayOutputStream();
    try (var out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      int rc = StorageTool.execute(new String[] {
          "format", "-t", clusterId, "-c", propsFile.toString(), "--ignore-formatted"}, out);
      if (rc != 0) {
        throw new IllegalStateException("formatting the Kafka data dir failed (exit " + rc + "): " + output);
      }
    } catch (RuntimeException e) {
      if (e instanceof IllegalStateException failed) {
        throw failed;
      }
      // StorageTool throws TerseFailure with a readable message, e.g. a cluster id mismatch.
      throw new IllegalStateException("formatting the Kafka data dir " + propsFile.getParent().toAbsolutePath()
          + " failed: " + e.getMessage() + (output.size() > 0 ? "\n" + output : ""), e);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
    }
  }
}
