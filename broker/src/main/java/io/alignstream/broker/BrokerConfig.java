package io.alignstream.broker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of one embedded KRaft node (combined broker and controller).
 *
 * <p>Today there is one node whose only voter is itself; {@code nodeId} and {@code voters} are
 * fields so that a multi-node cluster can later be described with the same record.
 *
 * @param dataDir directory that holds the cluster id, the generated server.properties and the logs;
 *     a second start on the same directory finds its topics and records again
 * @param host address both listeners bind to and advertise
 * @param port client (PLAINTEXT) port; 0 picks a free port at start
 * @param controllerPort KRaft controller port; 0 picks a free port at start (the quorum needs a fixed
 *     port once running, so 0 is resolved before the node starts, never handed to Kafka)
 * @param nodeId this node's id in the quorum
 * @param voters static quorum voters as {@code id@host:port}; empty means this node alone
 * @param startTimeout how long start-up may take before it fails loudly
 */
public record BrokerConfig(Path dataDir, String host, int port, int controllerPort, int nodeId,
    List<String> voters, Duration startTimeout) {

  /** Data directory of the broker the CLI runs, relative to the working directory (for annotations). */
  public static final String DEFAULT_DATA_DIR_NAME = ".alignstream/kafka";
  public static final Path DEFAULT_DATA_DIR = Path.of(DEFAULT_DATA_DIR_NAME);
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 9092;
  public static final int DEFAULT_CONTROLLER_PORT = 9093;
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

  private static final Pattern VOTER = Pattern.compile("\\d+@[^:@\\s]+:\\d{1,5}");

  public BrokerConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(startTimeout, "startTimeout");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host is blank: give an address to bind to, e.g. 127.0.0.1");
    }
    checkPort("port", port);
    checkPort("controller port", controllerPort);
    if (port != 0 && port == controllerPort) {
      throw new IllegalArgumentException("port and controller port are both " + port
          + ": the client listener and the controller listener need different ports");
    }
    if (nodeId < 0) {
      throw new IllegalArgumentException("node id must be 0 or more, got " + nodeId);
    }
    voters = List.copyOf(voters);
    for (String voter : voters) {
      if (!VOTER.matcher(voter).matches()) {
        throw new IllegalArgumentException("voter '" + voter + "' is not of the form id@host:port, e.g. 1@127.0.0.1:9093");
      }
    }
    if (startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("start timeout must be positive, got " + startTimeout);
    }
  }

  /** A single node on {@code 127.0.0.1} with the given ports (0 = a free one). */
  public static BrokerConfig of(Path dataDir, int port, int controllerPort) {
    return new BrokerConfig(dataDir, DEFAULT_HOST, port, controllerPort, 1, List.of(), DEFAULT_START_TIMEOUT);
  }

  /** The CLI's broker: ports 9092 and 9093, data in {@code .alignstream/kafka}. */
  public static BrokerConfig defaults() {
    return of(DEFAULT_DATA_DIR, DEFAULT_PORT, DEFAULT_CONTROLLER_PORT);
  }

  /** A single node on free ports, for tests and throw-away runs. */
  public static BrokerConfig ephemeral(Path dataDir) {
    return of(dataDir, 0, 0);
  }

  public BrokerConfig withPorts(int port, int controllerPort) {
    return new BrokerConfig(dataDir, host, port, controllerPort, nodeId, voters, startTimeout);
  }

  public BrokerConfig withStartTimeout(Duration timeout) {
    return new BrokerConfig(dataDir, host, port, controllerPort, nodeId, voters, timeout);
  }

  /** The quorum voters, in Kafka's {@code controller.quorum.voters} form. */
  public String quorumVoters() {
    return voters.isEmpty() ? nodeId + "@" + host + ":" + controllerPort : String.join(",", voters);
  }

  private static void checkPort(String what, int value) {
    if (value < 0 || value > 65535) {
      throw new IllegalArgumentException(what + " must be in [0, 65535] (0 = pick a free one), got " + value);
    }
  }
}
