package io.alignstream.producer;

import io.alignstream.broker.RunSession;
import io.alignstream.runtime.ReplicaId;
import io.alignstream.runtime.Service;
import io.alignstream.runtime.ServiceCommand;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code alignstream ingest}: runs the ingest topology of one run until Ctrl-C. Only wiring: the work is in {@link IngestService}. */
@Command(name = "ingest",
    description = {
        "Validates every record any client writes to the run's raw topic (demos.raw), for as long as it runs: valid "
            + "demonstrations become Avro demonstrations and prompts for the samplers and the learner, repeats are "
            + "dropped, and everything else goes, unchanged and with the reason, to the dead-letter topic.",
        "",
        "Exactly once, and any number of instances: processes with the same --run share the raw topic's partitions "
            + "as one Kafka Streams application; the duplicate store lives in a changelog topic on the brokers.",
        "",
        "'alignstream produce' only sends; run this beside it (or give produce --ingest for a one-shot load)."})
public final class IngestCommand extends ServiceCommand {
  private static final Logger log = LoggerFactory.getLogger(IngestCommand.class);

  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "Where the topology keeps its local state. Default: a temporary directory, deleted on exit "
          + "(the state is restored from its changelog topic).")
  private Path stateDir;

  @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "2m",
      converter = io.alignstream.broker.DurationConverter.class,
      description = "How long to wait for the topology to be running. Default: ${DEFAULT-VALUE}.")
  private Duration startTimeout;

  /** No model here: no native arrays to count, and the engine is never loaded. */
  @Override
  protected Plan plan() {
    String id = ReplicaId.of("ingest");
    return new Plan("ingest", id, () -> 0, session -> open(session, id));
  }

  private Service open(RunSession session, String id) {
    IngestService ingest = IngestService.start(session.connection(), session.topics(),
        IngestConfig.defaults().withStateDir(stateDir));
    return new Service() {
      @Override
      public void run() {
        ingest.awaitRunning(startTimeout);
        log.info("ingest {} of run {} running (application {}): {} -> {}, {} and {}", id, session.topics().runId(),
            IngestService.applicationId(session.topics()), session.topics().demosRaw.name(),
            session.topics().demonstrations.name(), session.topics().prompts.name(), session.topics().deadLetters.name());
        try {
          ingest.awaitStopped();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        IngestCounts.Snapshot c = ingest.counts();
        log.info("ingest {} stopped: {} accepted, {} duplicates, {} rejected", id, c.accepted(), c.duplicates(),
            c.rejected());
      }

      @Override
      public void close() {
        ingest.close();
      }
    };
  }
}
