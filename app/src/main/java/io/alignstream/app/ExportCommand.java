package io.alignstream.app;

import io.alignstream.broker.RunOptions;
import io.alignstream.broker.RunSession;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream export}: a run topic as JSON lines, for tools outside alignstream. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Writes every committed record of one of the run's topics as JSON lines (partition, offset, "
        + "timestamp, key, headers, value; Avro values as JSON objects), e.g. the generations for an outside judge.")
public final class ExportCommand implements Callable<Integer> {
  @Mixin
  private RunOptions kafka;

  @Option(names = "--topic", required = true, paramLabel = "NAME",
      description = "The topic: its role (demonstrations, prompts, generations, scored, batches, metrics, events, "
          + "demos.raw, demos.dead-letter, model-versions, weight-chunks) or its full name.")
  private String topic;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file; - for standard output.")
  private String out;

  @Override
  public Integer call() throws Exception {
    Topics topics = kafka.topics();
    Topic<?, ?> t = topics.find(topic).orElseThrow(() -> new IllegalArgumentException("run '" + topics.runId()
        + "' has no topic '" + topic + "'; use one of " + topics.all().stream()
            .map(x -> x.name().substring(Topics.prefix(topics.runId()).length())).collect(Collectors.joining(", "))));
    try (RunSession session = kafka.open(System.err);
        Writer w = out.equals("-") ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
            : Files.newBufferedWriter(Path.of(out), StandardCharsets.UTF_8)) {
      TopicExport.Counts c = TopicExport.export(session.connection(), t, w);
      System.err.printf("exported %,d records of %s%s%n", c.records(), t.name(),
          c.undecodable() > 0 ? " (" + c.undecodable() + " did not decode; written with their raw bytes)" : "");
    }
    return 0;
  }
}
