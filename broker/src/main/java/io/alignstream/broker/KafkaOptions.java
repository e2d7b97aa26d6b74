package io.alignstream.broker;

import io.alignstream.schemas.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.OptionalInt;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The Kafka options every service command mixes in ({@code @Mixin KafkaOptions kafka}): where Kafka is
 * ({@link KafkaConnectionOptions}) and which run's topics to use ({@code --run}).
 */
public final class KafkaOptions {
  @Mixin
  private KafkaConnectionOptions connection = new KafkaConnectionOptions();

  @Option(names = "--run", paramLabel = "ID", defaultValue = Topics.DEFAULT_RUN,
      description = "Run id: names this experiment's topics (alignstream.<ID>.*). Default: ${DEFAULT-VALUE}.")
  private String run = Topics.DEFAULT_RUN; // initialisers repeat picocli's defaults for of(...)

  /** Options as picocli would parse them, for code that opens a session without a command line. */
  public static KafkaOptions of(String bootstrap, Path kafkaConfig, String runId, Path dataDir) {
    var options = new KafkaOptions();
    options.connection = KafkaConnectionOptions.of(bootstrap, kafkaConfig, dataDir);
    options.run = runId == null ? Topics.DEFAULT_RUN : runId;
    return options;
  }

  public String runId() {
    return run;
  }

  /** The run's topics (validates the run id). */
  public Topics topics() {
    return Topics.forRun(run);
  }

  public Path dataDir() {
    return connection.dataDir();
  }

  /** The replication factor asked for, if any; absent means what the cluster can give. */
  public OptionalInt replicationFactor() {
    return connection.replicationFactor();
  }

  /** Where and how to connect, without the run. */
  public KafkaConnectionOptions connection() {
    return connection;
  }

  /** Opens the session, reporting on stderr which broker it uses. */
  public KafkaSession open() {
    return open(System.err);
  }

  /** Resolves the broker, starts one if needed, and creates the run's topics; see {@link KafkaConnectionOptions#open}. */
  public KafkaSession open(PrintStream notices) {
    return connection.open(topics(), notices);
  }
}
