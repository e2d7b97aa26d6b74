package io.alignstream.dashboard;

import io.alignstream.broker.RunOptions;
import io.alignstream.broker.RunSession;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream dashboard}: follows a run and serves its live charts until Ctrl-C. Only wiring. */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
    description = {
        "Serves live charts of a run in the browser: golden success, rewards, reward-model accuracy, losses, "
            + "throughput per stage, policy lag, versions, and the run's events.",
        "",
        "Reads the run's metrics and events topics from their beginning (joining no consumer group), so it can be "
            + "started, stopped and restarted at any time during or after a run.",
        "",
        "Listens on 127.0.0.1 only, unless --host names another interface: the page has no authentication."})
public final class DashboardCommand implements Callable<Integer> {
  @Mixin
  private RunOptions kafka;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + DashboardConfig.DEFAULT_PORT,
      description = "TCP port to serve on, 0 for any free port. Default: ${DEFAULT-VALUE}.")
  private int port;

  @Option(names = "--host", paramLabel = "HOST", defaultValue = DashboardConfig.LOOPBACK,
      description = "Interface to listen on. Anything but loopback exposes the run's metrics, unauthenticated, to "
          + "the network. Default: ${DEFAULT-VALUE}.")
  private String host;

  /** The validated configuration these options describe: naming a host on the command line is the explicit ask. */
  DashboardConfig config() {
    return new DashboardConfig(host, port, kafka.runId(), true);
  }

  @Override
  public Integer call() throws InterruptedException {
    return serve(System.err);
  }

  int serve(PrintStream notices) throws InterruptedException {
    DashboardConfig config = config();
    if (!DashboardConfig.isLoopback(config.host())) {
      notices.println("WARNING: the dashboard listens on " + config.host() + ", not loopback: anyone who can reach "
          + "this machine can read run '" + config.runTitle() + "' (there is no authentication)");
    }
    var stopped = new CountDownLatch(1);
    var closed = new CountDownLatch(1);
    var store = new MetricsStore();
    try (RunSession session = kafka.open(notices);
        RunFollower follower = RunFollower.start(session.connection(), session.topics(), store);
        Dashboard dashboard = Dashboard.start(config, store)) {
      notices.println("Dashboard of run '" + config.runTitle() + "': " + dashboard.url() + "  (Ctrl-C to stop)");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        stopped.countDown();
        try {
          closed.await(15, TimeUnit.SECONDS); // let the follower, server and an embedded broker close
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "dashboard-stop"));
      stopped.await();
      return 0;
    } finally {
      closed.countDown();
    }
  }
}
