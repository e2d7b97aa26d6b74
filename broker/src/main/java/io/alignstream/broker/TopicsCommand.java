package io.alignstream.broker;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code alignstream topics}: creates a run's topics on a cluster and lists them, then exits. The
 * init step of a cluster (compose's {@code topics} service), so that replication is chosen once,
 * before any service starts.
 */
@Command(name = "topics",
    description = {
        "Creates the topics of --run on the cluster, with their partitions, configs and --replication-factor, "
            + "and lists them; topics that exist are checked and left as they are. Then exits.",
        "Every service also creates its run's topics on start; run this first on a new cluster to choose their "
            + "replication once (e.g. the 'topics' service of compose/compose.yaml)."})
public final class TopicsCommand implements Callable<Integer> {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  private boolean help;

  @Mixin
  private RunOptions kafka;

  @Override
  public Integer call() {
    try (RunSession session = kafka.open()) {
      System.out.print(BrokerCommand.table(session.topicStates()));
      System.out.flush();
    }
    return 0;
  }
}
