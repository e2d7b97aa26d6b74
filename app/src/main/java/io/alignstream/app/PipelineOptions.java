package io.alignstream.app;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of the one alignment run behind demo and align ({@link AlignmentRun}): its size and what it shows. */
final class PipelineOptions {
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

  int samplers() {
    return samplers;
  }

  int dashboardPort() {
    return dashboardPort;
  }

  boolean verbose() {
    return verbose;
  }

  TorchThreads threads() {
    return threads;
  }
}
