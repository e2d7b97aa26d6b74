package io.alignstream.runtime;

import io.alignstream.broker.RunOptions;
import io.alignstream.broker.RunSession;
import io.alignstream.broker.Shutdown;
import io.alignstream.model.NativeArrays;
import java.util.concurrent.Callable;
import java.util.function.IntSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The command of a service that runs one part of a run until it is stopped ({@code alignstream
 * sampler}, {@code rewarder}, {@code learner}, {@code ingest}): the cluster and run options, the session,
 * the shutdown hook that closes the service on a signal, and the report of the process's resources
 * are here, once; a subclass checks its own options and opens its service. Only wiring. A subclass's
 * {@code @Command} gives its name and description; the help options and the footer on stopping come
 * from here.
 */
@Command(mixinStandardHelpOptions = true,
    footer = {"", "Ctrl-C (or SIGTERM) commits or aborts the transaction in progress, leaves the consumer group and exits."})
public abstract class ServiceCommand implements Callable<Integer> {
  /** --bootstrap, --kafka-config, --data-dir, --replication-factor and --run. */
  @Mixin
  protected RunOptions kafka;

  /**
   * What a command runs, decided from its options before anything starts.
   *
   * @param name the service's name, for its shutdown hook
   * @param reportsAs the source of the process's resource reports: the replica's id
   * @param liveArrays the process's live native arrays ({@link NativeArrays#liveInProcess}; 0 without a model)
   * @param open opens the service on the run's session; it then runs on the command's thread
   */
  public record Plan(String name, String reportsAs, IntSupplier liveArrays, Opener open) {}

  /** Opens a service on a session. */
  @FunctionalInterface
  public interface Opener {
    Service open(RunSession session) throws Exception;
  }

  /** Checks the options (a bad one throws before anything starts) and says what to run. */
  protected abstract Plan plan();

  @Override
  public final Integer call() throws Exception {
    Plan plan = plan();
    try (Shutdown shutdown = new Shutdown(plan.name()); RunSession session = kafka.open();
        Service service = shutdown.closes(plan.open().open(session));
        ResourceReport resources = ResourceReport.start(session.connection().producerConfig(), session.topics(),
            plan.reportsAs(), plan.liveArrays())) {
      service.run();
      return 0;
    }
  }
}
