package io.alignstream.broker;

import io.alignstream.schemas.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The Kafka options every service command mixes in ({@code @Mixin RunOptions kafka}): where Kafka is
 * ({@link ClusterOptions}) and which run's topics to use ({@code --run}).
 */
public final class RunOptions {
  @Mixin
  private ClusterOptions connection = new ClusterOptions();

  @Option(names = "--run", paramLabel = "ID", defaultValue = Topics.DEFAULT_RUN,
      description = "Run id: names this experiment's topics (alignstream.<ID>.*). Default: ${DEFAULT-VALUE}.")
  private String run = Topics.DEFAULT_RUN; // initialisers repeat picocli's defaults for of(...)

  /** Options as picocli would parse them, for code that opens a session without a command line. */
  public static RunOptions of(String bootstrap, Path kafkaConfig, String runId, Path dataDir) {
    var options = new RunOptions();
    options.connection = ClusterOptions.of(bootstrap, kafkaConfig, dataDir);
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

  /** Where and how to connect, without the run. */
  public ClusterOptions connection() {
    return connection;
  }

  /** Opens the session, reporting on stderr which broker it uses. */
  public RunSession open() {
    return open(System.err);
  }

  /** Resolves the broker, starts one if needed, and creates the run's topics; see {@link ClusterOptions#open}. */
  public RunSession open(PrintStream notices) {
    return connection.open(topics(), notices);
  }
}
