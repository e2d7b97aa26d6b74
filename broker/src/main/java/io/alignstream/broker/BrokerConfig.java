package io.alignstream.broker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.Uuid;

/**
 * Settings of one embedded KRaft node (combined broker and controller): either a cluster of one,
 * whose only controller voter is itself, or one node of a cluster whose nodes all name the same
 * static {@code voters}.
 *
 * @param dataDir directory that holds the cluster id, the generated server.properties and the logs;
 *     a second start on the same directory finds its topics and records again. One per node.
 * @param host address both listeners bind to ({@code 0.0.0.0} for every interface)
 * @param advertisedHost address clients and the other nodes are told to use for the client listener
 * @param port client (PLAINTEXT) port; 0 picks a free port at start
 * @param controllerPort KRaft controller port; 0 picks a free port at start for a node alone, and
 *     means "the port of this node's entry in {@code voters}" for a node of a cluster
 * @param nodeId this node's id in the quorum, also its broker id
 * @param voters static quorum voters as {@code id@host:port}, the same list on every node of a
 *     cluster; empty means this node alone
 * @param clusterId the cluster's id (22 characters, Kafka's base64 UUID); null means the id kept in
 *     the data dir for a node alone, and one derived from {@code voters} for a node of a cluster, so
 *     every node of one cluster agrees without being told
 * @param startTimeout how long start-up may take before it fails loudly
 */
public record BrokerConfig(Path dataDir, String host, String advertisedHost, int port, int controllerPort, int nodeId,
    List<String> voters, String clusterId, Duration startTimeout) {

  /** Data directory of the broker the CLI runs, relative to the working directory (for annotations). */
  public static final String DEFAULT_DATA_DIR_NAME = ".alignstream/kafka";
  public static final Path DEFAULT_DATA_DIR = Path.of(DEFAULT_DATA_DIR_NAME);
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 9092;
  public static final int DEFAULT_CONTROLLER_PORT = 9093;
  public static final int DEFAULT_NODE_ID = 1;
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

  private static final Pattern VOTER = Pattern.compile("(\\d+)@([^:@\\s]+):(\\d{1,5})");
  private static final Pattern CLUSTER_ID = Pattern.compile("[A-Za-z0-9_-]{22}");
  private static final List<String> WILDCARDS = List.of("0.0.0.0", "::", "[::]");

  public BrokerConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(advertisedHost, "advertisedHost");
    Objects.requireNonNull(startTimeout, "startTimeout");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host is blank: give an address to bind to, e.g. 127.0.0.1");
    }
    if (advertisedHost.isBlank() || WILDCARDS.contains(advertisedHost)) {
      throw new IllegalArgumentException("advertised host '" + advertisedHost + "' is not an address clients can "
          + "reach: give this machine's name or address (--advertised-host), e.g. kafka-1 or 10.0.0.5");
    }
    checkPort("port", port);
    checkPort("controller port", controllerPort);
    if (nodeId < 0) {
      throw new IllegalArgumentException("node id must be 0 or more, got " + nodeId);
    }
    voters = List.copyOf(voters);
    var ids = new HashSet<Integer>();
    Integer ownPort = null;
    for (String voter : voters) {
      Matcher m = VOTER.matcher(voter);
      if (!m.matches()) {
        throw new IllegalArgumentException("voter '" + voter + "' is not of the form id@host:port, e.g. 1@127.0.0.1:9093");
      }
      int id = Integer.parseInt(m.group(1));
      if (!ids.add(id)) {
        throw new IllegalArgumentException("node id " + id + " appears twice in the voters " + voters
            + ": give every node of the cluster its own id");
      }
      if (id == nodeId) {
        ownPort = Integer.parseInt(m.group(3));
        checkPort("controller port of voter " + voter, ownPort);
      }
    }
    if (!voters.isEmpty()) {
      if (ownPort == null) {
        throw new IllegalArgumentException("node " + nodeId + " is not among the voters " + String.join(",", voters)
            + ": every node of a cluster is one of its voters; give --node-id one of their ids");
      }
      if (controllerPort == 0) {
        controllerPort = ownPort;
      } else if (controllerPort != ownPort) {
        throw new IllegalArgumentException("controller port " + controllerPort + " differs from this node's voter entry "
            + nodeId + "@...:" + ownPort + ": the other nodes reach it there; leave --controller-port out");
      }
    }
    if (port != 0 && port == controllerPort) {
      throw new IllegalArgumentException("port and controller port are both " + port
          + ": the client listener and the controller listener need different ports");
    }
    if (clusterId == null && !voters.isEmpty()) {
      clusterId = derivedClusterId(voters);
    }
    if (clusterId != null && !CLUSTER_ID.matcher(clusterId).matches()) {
      throw new IllegalArgumentException("cluster id '" + clusterId + "' is not a Kafka cluster id (22 characters of "
          + "A-Z, a-z, 0-9, - and _, e.g. from 'kafka-storage.sh random-uuid'); or leave it out");
    }
    if (startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("start timeout must be positive, got " + startTimeout);
    }
  }

  /** A single node on {@code 127.0.0.1} with the given ports (0 = a free one). */
  public static BrokerConfig of(Path dataDir, int port, int controllerPort) {
    return new BrokerConfig(dataDir, DEFAULT_HOST, DEFAULT_HOST, port, controllerPort, DEFAULT_NODE_ID, List.of(), null,
        DEFAULT_START_TIMEOUT);
  }

  /**
   * Node {@code nodeId} of the cluster of {@code voters}, on {@code 127.0.0.1}: client port
   * {@code port} (0 = a free one), controller port from its voter entry.
   */
  public static BrokerConfig clusterNode(Path dataDir, int nodeId, List<String> voters, int port) {
    return new BrokerConfig(dataDir, DEFAULT_HOST, DEFAULT_HOST, port, 0, nodeId, voters, null, DEFAULT_START_TIMEOUT);
  }

  /** The CLI's broker: ports 9092 and 9093, data in {@code .alignstream/kafka}. */
  public static BrokerConfig defaults() {
    return of(DEFAULT_DATA_DIR, DEFAULT_PORT, DEFAULT_CONTROLLER_PORT);
  }

  /** A single node on free ports with its data in {@code dataDir}: a broker that lives for one process (benchmarks, tests). */
  public static BrokerConfig ephemeral(Path dataDir) {
    return of(dataDir, 0, 0);
  }

  public BrokerConfig withPorts(int port, int controllerPort) {
    return new BrokerConfig(dataDir, host, advertisedHost, port, controllerPort, nodeId, voters, clusterId,
        startTimeout);
  }

  public BrokerConfig withStartTimeout(Duration timeout) {
    return new BrokerConfig(dataDir, host, advertisedHost, port, controllerPort, nodeId, voters, clusterId, timeout);
  }

  /** How many nodes the cluster has: its voters, or 1 for a node alone. */
  public int clusterSize() {
    return voters.isEmpty() ? 1 : voters.size();
  }

  /**
   * Replication of the cluster's internal topics (consumer offsets, transaction state, share
   * state) and the default of topics created without one (Kafka Streams' internal topics).
   */
  public Replication replication() {
    return Replication.forCluster(clusterSize());
  }

  /** The quorum voters, in Kafka's {@code controller.quorum.voters} form. */
  public String quorumVoters() {
    return voters.isEmpty() ? nodeId + "@" + advertisedHost + ":" + controllerPort : String.join(",", voters);
  }

  /**
   * A cluster id that every node given the same voters computes alike: a name-based id of the
   * sorted voter list. A node pointed at another quorum gets another id, and Kafka refuses it.
   */
  static String derivedClusterId(List<String> voters) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(
          ("alignstream-cluster:" + String.join(",", voters.stream().sorted().toList()))
              .getBytes(StandardCharsets.UTF_8));
      long msb = 0;
      long lsb = 0;
      for (int i = 0; i < 8; i++) {
        msb = (msb << 8) | (hash[i] & 0xff);
        lsb = (lsb << 8) | (hash[8 + i] & 0xff);
      }
      // Top bit clear: the id then never starts with '-', which a command line would take for an option.
      return new Uuid(msb & Long.MAX_VALUE, lsb).toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static void checkPort(String what, int value) {
    if (value < 0 || value > 65535) {
      throw new IllegalArgumentException(what + " must be in [0, 65535] (0 = pick a free one), got " + value);
    }
  }
}
