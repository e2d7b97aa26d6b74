package io.alignstream.app;

import io.alignstream.broker.ClusterOptions;
import io.alignstream.broker.RunSession;
import io.alignstream.console.Terminal;
import io.alignstream.learner.Recipe;
import io.alignstream.learner.RecipeOptions;
import io.alignstream.schemas.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of the one alignment run behind demo and align ({@link AlignmentRun}): where its topics
 * live, its recipe, its size and what it shows.
 */
final class PipelineOptions {
  /** --bootstrap, --kafka-config, --data-dir, --replication-factor: where the run's topics live. */
  @Mixin
  private ClusterOptions kafka = new ClusterOptions();

  /** --recipe, --set. */
  @Mixin
  private RecipeOptions recipe = new RecipeOptions();

  @Option(names = "--samplers", paramLabel = "N", defaultValue = "2", description = "Sampler replicas. Default: ${DEFAULT-VALUE}.")
  private int samplers = 2;

  @Option(names = "--dashboard-port", paramLabel = "PORT", defaultValue = "8080",
      description = "Port of the live dashboard on 127.0.0.1; 0 = any free port, -1 = no dashboard. "
          + "Default: ${DEFAULT-VALUE}.")
  private int dashboardPort = 8080;

  @Option(names = "--verbose", description = "Show the services' log lines here; by default they go to a "
      + "services.log file (its path is printed) and the terminal shows progress and results only.")
  private boolean verbose;

  @Mixin
  private TorchThreads threads = new TorchThreads();

  /** Reaches Kafka as the cluster options say and creates the run's topics ({@link ClusterOptions#open}). */
  RunSession open(Topics topics, PrintStream notices) {
    return kafka.open(topics, notices);
  }

  /** The recipe: defaults, then --recipe, then the command's own settings {@code first}, then --set. */
  Recipe recipe(List<String> first) {
    return recipe.load(first);
  }

  int samplers() {
    return samplers;
  }

  int dashboardPort() {
    return dashboardPort;
  }

  /**
   * Unless --verbose, sends the services' log lines to {@code file} until closed
   * ({@link Terminal#quiet}): the terminal shows progress and results only. See {@link #logsLine}.
   */
  AutoCloseable serviceLogs(Path file) {
    return verbose ? () -> { } : Terminal.quiet(file);
  }

  /** The line that says where the services' log lines are, for the banner; empty when they are shown. */
  String logsLine(Path file) {
    return verbose ? "" : "service logs: " + file + "  (--verbose shows them here)";
  }

  TorchThreads threads() {
    return threads;
  }
}
