package io.alignstream.producer;

import io.alignstream.broker.RunOptions;
import io.alignstream.broker.RunSession;
import io.alignstream.broker.Shutdown;
import io.alignstream.runtime.ReplicaId;
import io.alignstream.runtime.ResourceReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream ingest}: runs the ingest topology of one run until Ctrl-C. Only wiring: the work is in {@link IngestService}. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = {
        "Validates every record any client writes to the run's raw topic (demos.raw), for as long as it runs: valid "
            + "demonstrations become Avro demonstrations and prompts for the samplers and the learner, repeats are "
            + "dropped, and everything else goes, unchanged and with the reason, to the dead-letter topic.",
        "",
        "Exactly once, and any number of instances: processes with the same --run share the raw topic's partitions "
            + "as one Kafka Streams application; the duplicate store lives in a changelog topic on the brokers.",
        "",
        "'alignstream produce' only sends; run this beside it (or give produce --ingest for a one-shot load).",
        "",
        "Ctrl-C commits the records in progress, leaves the group and exits."})
public final class IngestCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(IngestCommand.class);

  @Mixin
  private RunOptions kafka;

  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "Where the topology keeps its local state. Default: a temporary directory, deleted on exit "
          + "(the state is restored from its changelog topic).")
  private Path stateDir;

  @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "2m",
      converter = io.alignstream.broker.DurationConverter.class,
      description = "How long to wait for the topology to be running. Default: ${DEFAULT-VALUE}.")
  private Duration startTimeout;

  @Override
  public Integer call() throws InterruptedException {
    IngestConfig config = IngestConfig.defaults().withStateDir(stateDir);
    String id = ReplicaId.of("ingest");
    try (Shutdown shutdown = new Shutdown("ingest"); RunSession session = kafka.open();
        IngestService ingest = shutdown.closes(IngestService.start(session.connection(), session.topics(), config));
        ResourceReport resources = ResourceReport.start(session.connection().producerConfig(), session.topics(), id,
            () -> 0)) {
      ingest.awaitRunning(startTimeout);
      log.info("ingest {} of run {} running (application {}): {} -> {}, {} and {}", id, session.topics().runId(),
          IngestService.applicationId(session.topics()), session.topics().demosRaw.name(),
          session.topics().demonstrations.name(), session.topics().prompts.name(), session.topics().deadLetters.name());
      ingest.awaitStopped();
      IngestCounts.Snapshot c = ingest.counts();
      log.info("ingest {} stopped: {} accepted, {} duplicates, {} rejected", id, c.accepted(), c.duplicates(),
          c.rejected());
      return 0;
    }
  }
}
